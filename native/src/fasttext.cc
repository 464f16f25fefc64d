// fastText supervised-model inference (language ID with lid.176.ftz), written from the binary
// format and the published algorithm (Joulin et al. 2016, "Bag of Tricks"; "FastText.zip",
// 2016, for product quantization). Results equal fastText's own `predict-prob` for the same
// model and line: same tokens, same subword hashes, same float arithmetic in the same order.
//
// JS API (see stages/language/fasttext.ts):
//   fasttextLoad(bytes: Uint8Array) -> External model handle        (parses a .bin or .ftz)
//   fasttextLoadFile(path: string) -> the same, read from the file through mmap, so a multi-GB
//                                      .bin is never copied into JS memory
//   fasttextInfo(model) -> { dim, nwords, nlabels, labels: string[], minn, maxn, wordNgrams,
//                            bucket, loss, quantized }
//   fasttextPredict(model, texts: string[], k: number, threshold: number)
//       -> { labels: Int32Array(n*k), scores: Float32Array(n*k) }  (-1 / 0 where fewer than k)
// Each text is one fastText "line": '\n' inside a text is treated as a space (the caller
// wants newlines replaced by spaces anyway), and the end-of-line token `</s>` is appended,
// exactly as the CLI sees a line read from stdin.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cerrno>

#include "kernels.h"

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace refinery {
namespace {

constexpr int32_t kMagic = 793712314;  // fastText file-format magic
constexpr int32_t kVersion = 12;
constexpr int kSubCentroids = 256;     // product quantizer: 8-bit codes
constexpr int kLossHs = 1, kLossNs = 2, kLossSoftmax = 3, kLossOva = 4;
constexpr int kModelSup = 3;
const char kEos[] = "</s>";
const char kLabelPrefix[] = "__label__";

// --- reading the file ---------------------------------------------------------------------

struct Reader {
  const uint8_t* p;
  size_t n, pos = 0;
  bool ok = true;
  Reader(const uint8_t* data, size_t size) : p(data), n(size) {}
  bool take(void* out, size_t bytes) {
    if (!ok || n - pos < bytes) { ok = false; return false; }
    std::memcpy(out, p + pos, bytes);
    pos += bytes;
    return true;
  }
  template <typename T> T get() { T v{}; take(&v, sizeof(T)); return v; }
  std::string cstring() {
    const void* end = ok ? std::memchr(p + pos, 0, n - pos) : nullptr;
    if (!end) { ok = false; return {}; }
    size_t len = static_cast<const uint8_t*>(end) - (p + pos);
    std::string s(reinterpret_cast<const char*>(p + pos), len);
    pos += len + 1;
    return s;
  }
};

// Product quantizer: a vector of `dim` floats is `nsubq` sub-vectors of `dsub` floats (the last
// one `lastdsub`), each replaced by one of 256 centroids.
struct ProductQuantizer {
  int32_t dim = 0, nsubq = 0, dsub = 0, lastdsub = 0;
  std::vector<float> centroids;
  const float* centroid(int32_t m, uint8_t i) const {
    if (m == nsubq - 1) return &centroids[static_cast<size_t>(m) * kSubCentroids * dsub + i * lastdsub];
    return &centroids[(static_cast<size_t>(m) * kSubCentroids + i) * dsub];
  }
  bool load(Reader& r) {
    dim = r.get<int32_t>(); nsubq = r.get<int32_t>(); dsub = r.get<int32_t>(); lastdsub = r.get<int32_t>();
    if (!r.ok || dim <= 0 || nsubq <= 0 || dsub <= 0 || lastdsub <= 0 || dim > (1 << 20)) return false;
    if ((nsubq - 1) * dsub + lastdsub != dim) return false;
    centroids.resize(static_cast<size_t>(dim) * kSubCentroids);
    return r.take(centroids.data(), centroids.size() * sizeof(float));
  }
};

// A matrix as stored: dense floats, or product-quantized codes with optional quantized norms.
struct Matrix {
  bool quantized = false;
  int64_t rows = 0, cols = 0;
  std::vector<float> dense;
  bool qnorm = false;
  std::vector<uint8_t> codes, normCodes;
  ProductQuantizer pq, npq;

  bool loadDense(Reader& r) {
    rows = r.get<int64_t>(); cols = r.get<int64_t>();
    if (!r.ok || rows < 0 || cols <= 0 || cols > (1 << 20) || rows > (int64_t{1} << 34) / cols) return false;
    dense.resize(static_cast<size_t>(rows * cols));
    return r.take(dense.data(), dense.size() * sizeof(float));
  }
  bool loadQuantized(Reader& r) {
    quantized = true;
    qnorm = r.get<uint8_t>() != 0;
    rows = r.get<int64_t>(); cols = r.get<int64_t>();
    int32_t codesize = r.get<int32_t>();
    if (!r.ok || rows < 0 || cols <= 0 || codesize < 0) return false;
    codes.resize(codesize);
    if (!r.take(codes.data(), codes.size()) || !pq.load(r)) return false;
    if (pq.dim != cols || static_cast<int64_t>(pq.nsubq) * rows != codesize) return false;
    if (qnorm) {
      normCodes.resize(static_cast<size_t>(rows));
      if (!r.take(normCodes.data(), normCodes.size()) || !npq.load(r)) return false;
    }
    return true;
  }

  // x += row i (fastText adds each sub-vector scaled by the row's norm, in this order).
  void addRowTo(float* x, int64_t i) const {
    if (!quantized) {
      const float* row = &dense[static_cast<size_t>(i * cols)];
      for (int64_t j = 0; j < cols; j++) x[j] += row[j];
      return;
    }
    float norm = qnorm ? npq.centroid(0, normCodes[i])[0] : 1.0f;
    const uint8_t* code = &codes[static_cast<size_t>(i) * pq.nsubq];
    for (int32_t m = 0; m < pq.nsubq; m++) {
      const float* c = pq.centroid(m, code[m]);
      int32_t d = m == pq.nsubq - 1 ? pq.lastdsub : pq.dsub;
      float* out = x + static_cast<size_t>(m) * pq.dsub;
      for (int32_t j = 0; j < d; j++) out[j] += norm * c[j];
    }
  }

  // x += the rows, in order. Each element sees the same float additions in the same order
  // as one addRowTo per row; the fast path only does four elements per instruction (SSE
  // mul/add round like their scalar forms; no FMA), for the common quantized layout of
  // 2-float sub-vectors (lid.176: dim 16 = 8 x 2).
  void addRowsTo(float* x, const int32_t* rows, size_t count) const {
#if defined(__SSE2__)
    if (quantized && pq.dsub == 2 && pq.lastdsub == 2 && pq.nsubq % 2 == 0) {
      const float* cent = pq.centroids.data();
      const int32_t nsubq = pq.nsubq;
      for (size_t r = 0; r < count; r++) {
        int32_t i = rows[r];
        __m128 norm = _mm_set1_ps(qnorm ? npq.centroid(0, normCodes[i])[0] : 1.0f);
        const uint8_t* code = &codes[static_cast<size_t>(i) * nsubq];
        for (int32_t m = 0; m < nsubq; m += 2) {
          const float* c0 = cent + (static_cast<size_t>(m) * kSubCentroids + code[m]) * 2;
          const float* c1 = cent + (static_cast<size_t>(m + 1) * kSubCentroids + code[m + 1]) * 2;
          __m128 c = _mm_castpd_ps(_mm_loadh_pd(_mm_load_sd(reinterpret_cast<const double*>(c0)),
                                                reinterpret_cast<const double*>(c1)));
          _mm_storeu_ps(x + 2 * m, _mm_add_ps(_mm_loadu_ps(x + 2 * m), _mm_mul_ps(norm, c)));
        }
      }
      return;
    }
#endif
    for (size_t r = 0; r < count; r++) addRowTo(x, rows[r]);
  }

  float dotRow(const float* x, int64_t i) const {
    float res = 0.0f;
    if (!quantized) {
      const float* row = &dense[static_cast<size_t>(i * cols)];
      for (int64_t j = 0; j < cols; j++) res += row[j] * x[j];
      return res;
    }
    const uint8_t* code = &codes[static_cast<size_t>(i) * pq.nsubq];
    for (int32_t m = 0; m < pq.nsubq; m++) {
      const float* c = pq.centroid(m, code[m]);
      int32_t d = m == pq.nsubq - 1 ? pq.lastdsub : pq.dsub;
      const float* in = x + static_cast<size_t>(m) * pq.dsub;
      for (int32_t j = 0; j < d; j++) res += in[j] * c[j];
    }
    float norm = qnorm ? npq.centroid(0, normCodes[i])[0] : 1.0f;
    return res * norm;
  }
};

struct TreeNode {
  int32_t left = -1, right = -1;
  int64_t count = 0;
};

// fastText's hash: 32-bit FNV-1a over the bytes taken as *signed* chars (as released models
// were trained on x86), so bytes >= 0x80 are sign-extended before the xor.
inline uint32_t fnvStep(uint32_t h, char c) {
  return (h ^ static_cast<uint32_t>(static_cast<int8_t>(c))) * 16777619u;
}
constexpr uint32_t kFnvInit = 2166136261u;

inline uint32_t fnv(const char* s, size_t n) {
  uint32_t h = kFnvInit;
  for (size_t i = 0; i < n; i++) h = fnvStep(h, s[i]);
  return h;
}

inline bool isSpace(char c) {
  return c == ' ' || c == '\n' || c == '\r' || c == '\t' || c == '\v' || c == '\f' || c == '\0';
}

struct Model {
  // Hyper-parameters stored in the file.
  int32_t dim = 0, wordNgrams = 1, loss = 0, modelKind = 0, bucket = 0, minn = 0, maxn = 0;
  int32_t nwords = 0, nlabels = 0;
  // Dictionary: words first (ids < nwords), then labels; the entry bytes back to back.
  std::string entryBytes;
  std::vector<uint32_t> entryStart;  // size+1 offsets into entryBytes
  std::vector<uint8_t> entryIsLabel;
  std::vector<int64_t> labelCounts;
  // Open-addressing table (power of two) from fnv(word) to entry id.
  std::vector<int32_t> table;
  std::vector<uint32_t> entryHash;
  // Input rows of each in-vocabulary word: the word itself then its char n-grams.
  std::vector<int32_t> subwordStart, subwords;
  // Pruned models keep only some hash buckets (pruneSize: -1 = not pruned, 0 = none kept).
  // Kept buckets are a bitset over all buckets plus, per 64-bit word, the number of kept
  // buckets before it: a bucket's rank among the kept ones indexes its row. lid.176 keeps 43k
  // of 2M buckets, so this is ~550 KB and stays in L2, where a dense 2M-entry map (8 MB)
  // missed the cache on most n-grams and a hash table paid for probing.
  int64_t pruneSize = -1;
  std::vector<uint64_t> keptBits;
  std::vector<uint32_t> keptBefore;
  std::vector<int32_t> keptRow;  // by rank
  // x % bucket without a division (Lemire et al., "Faster remainder by direct computation", 2019).
  uint64_t bucketMagic = 0;

  inline uint32_t modBucket(uint32_t h) const {
    uint64_t low = bucketMagic * h;
    return static_cast<uint32_t>((static_cast<unsigned __int128>(low) * static_cast<uint32_t>(bucket)) >> 64);
  }
  inline int32_t prunedRow(int32_t key) const {
    uint64_t word = keptBits[static_cast<uint32_t>(key) >> 6];
    uint64_t bit = uint64_t{1} << (key & 63);
    if (!(word & bit)) return -1;
    return keptRow[keptBefore[static_cast<uint32_t>(key) >> 6] + __builtin_popcountll(word & (bit - 1))];
  }
  Matrix input, output;
  std::vector<TreeNode> tree;  // hierarchical softmax (Huffman tree over label counts)

  int32_t lookup(const char* w, size_t n, uint32_t h) const {
    size_t mask = table.size() - 1;
    for (size_t slot = h & mask;; slot = (slot + 1) & mask) {
      int32_t id = table[slot];
      if (id < 0) return -1;
      if (entryHash[id] == h && entryStart[id + 1] - entryStart[id] == n &&
          std::memcmp(entryBytes.data() + entryStart[id], w, n) == 0)
        return id;
    }
  }

  // The input row of bucket `id` (a char or word n-gram hash), or -1 if the model dropped it.
  inline int32_t bucketRow(int32_t id) const {
    if (pruneSize == 0 || id < 0) return -1;
    if (pruneSize > 0) {
      id = prunedRow(id);
      if (id < 0) return -1;
    }
    return nwords + id;
  }

  // Calls f(row) for each char n-gram (minn..maxn UTF-8 characters) of a word already wrapped
  // in '<' '>' that the model kept. A single character at either end ('<' or '>') is not an
  // n-gram on its own.
  template <typename F>
  void forEachCharNgram(const char* w, size_t n, F&& f) const {
    if (bucket <= 0 || maxn <= 0) return;
    for (size_t i = 0; i < n; i++) {
      if ((w[i] & 0xC0) == 0x80) continue;
      uint32_t h = kFnvInit;
      size_t j = i;
      for (int32_t len = 1; j < n && len <= maxn; len++) {
        h = fnvStep(h, w[j++]);
        while (j < n && (w[j] & 0xC0) == 0x80) h = fnvStep(h, w[j++]);
        if (len >= minn && !(len == 1 && (i == 0 || j == n))) {
          int32_t row = bucketRow(static_cast<int32_t>(modBucket(h)));
          if (row >= 0) f(row);
        }
      }
    }
  }

  void buildSubwords() {
    subwordStart.assign(1, 0);
    std::string wrapped;
    for (int32_t i = 0; i < nwords; i++) {
      subwords.push_back(i);
      const char* w = entryBytes.data() + entryStart[i];
      size_t n = entryStart[i + 1] - entryStart[i];
      if (!(n == 4 && std::memcmp(w, kEos, 4) == 0)) {
        wrapped.assign(1, '<');
        wrapped.append(w, n);
        wrapped.push_back('>');
        forEachCharNgram(wrapped.data(), wrapped.size(), [&](int32_t row) { subwords.push_back(row); });
      }
      subwordStart.push_back(static_cast<int32_t>(subwords.size()));
    }
  }

  void buildTable() {
    size_t size = entryIsLabel.size(), cap = 16;
    while (cap < size * 2) cap <<= 1;
    table.assign(cap, -1);
    entryHash.resize(size);
    for (size_t id = 0; id < size; id++) {
      uint32_t h = fnv(entryBytes.data() + entryStart[id], entryStart[id + 1] - entryStart[id]);
      entryHash[id] = h;
      size_t slot = h & (cap - 1);
      while (table[slot] >= 0) slot = (slot + 1) & (cap - 1);
      table[slot] = static_cast<int32_t>(id);
    }
  }

  // Huffman tree over the label counts (labels are sorted by decreasing count): leaves are
  // 0..nlabels-1, internal nodes follow; each step joins the two smallest remaining nodes,
  // taking the internal node on ties (as fastText does, so the tree is the trained one).
  void buildTree() {
    int32_t osz = nlabels;
    tree.assign(2 * osz - 1, TreeNode());
    for (int32_t i = 0; i < 2 * osz - 1; i++) tree[i].count = static_cast<int64_t>(1e15);
    for (int32_t i = 0; i < osz; i++) tree[i].count = labelCounts[i];
    int32_t leaf = osz - 1, node = osz;
    for (int32_t i = osz; i < 2 * osz - 1; i++) {
      int32_t pick[2];
      for (int32_t& p : pick) p = (leaf >= 0 && tree[leaf].count < tree[node].count) ? leaf-- : node++;
      tree[i].left = pick[0];
      tree[i].right = pick[1];
      tree[i].count = tree[pick[0]].count + tree[pick[1]].count;
    }
  }
};

// --- prediction ---------------------------------------------------------------------------

// fastText scores one-vs-all and negative-sampling outputs with its training-time sigmoid: a
// 513-entry table over [-8, 8], looked up by truncation (hierarchical softmax uses exp).
constexpr int kSigmoidTable = 512;
constexpr int kMaxSigmoid = 8;
const std::vector<float>& sigmoidTable() {
  static const std::vector<float> table = [] {
    std::vector<float> t;
    for (int i = 0; i <= kSigmoidTable; i++) {
      float x = static_cast<float>(i * 2 * kMaxSigmoid) / kSigmoidTable - kMaxSigmoid;
      t.push_back(static_cast<float>(1.0 / (1.0 + std::exp(-x))));
    }
    return t;
  }();
  return table;
}
inline float tableSigmoid(float x) {
  if (x < -kMaxSigmoid) return 0.0f;
  if (x > kMaxSigmoid) return 1.0f;
  float at = (x + kMaxSigmoid) * kSigmoidTable / kMaxSigmoid / 2;
  return sigmoidTable()[static_cast<int64_t>(at)];
}

using Scored = std::pair<float, int32_t>;  // (log-probability, label)
inline bool scoredGreater(const Scored& a, const Scored& b) { return a.first > b.first; }
// fastText's guarded log: log(x + 1e-5), computed in double, kept as float.
inline float stdLog(float x) { return static_cast<float>(std::log(x + 1e-5)); }

// Rows of recently seen out-of-vocabulary words: 70% of the tokens of web text are not in
// lid.176's 7k-word vocabulary, and most of those repeat, so recomputing their char n-grams is
// most of the work. Direct-mapped by the word's hash; when the arena fills up, all is dropped.
// A hit yields exactly the rows a recomputation would, so results do not depend on it.
struct OovCache {
  static constexpr uint32_t kBits = 13;
  static constexpr size_t kMaxWord = 64;
  static constexpr size_t kMaxRows = size_t{1} << 18;
  struct Slot {
    uint32_t hash = 0, wordAt = 0, rowsAt = 0;
    uint16_t wordLen = 0, rowCount = 0;  // wordLen 0: empty (tokens are never empty)
  };
  std::vector<Slot> slots = std::vector<Slot>(size_t{1} << kBits);
  std::string words;
  std::vector<int32_t> rows;

  static size_t slotOf(uint32_t h) { return (h * 0x9E3779B1u) >> (32 - kBits); }
  const Slot* find(const char* w, size_t n, uint32_t h) const {
    const Slot& e = slots[slotOf(h)];
    if (e.wordLen != n || e.hash != h || std::memcmp(words.data() + e.wordAt, w, n) != 0) return nullptr;
    return &e;
  }
  void put(const char* w, size_t n, uint32_t h, const int32_t* r, size_t count) {
    if (n == 0 || n > kMaxWord || count > 0xFFFF) return;
    if (rows.size() + count > kMaxRows || words.size() + n > kMaxRows) {
      rows.clear();
      words.clear();
      std::fill(slots.begin(), slots.end(), Slot());
    }
    Slot& e = slots[slotOf(h)];
    e.hash = h;
    e.wordAt = static_cast<uint32_t>(words.size());
    e.rowsAt = static_cast<uint32_t>(rows.size());
    e.wordLen = static_cast<uint16_t>(n);
    e.rowCount = static_cast<uint16_t>(count);
    words.append(w, n);
    rows.insert(rows.end(), r, r + count);
  }
};

struct Scratch {
  OovCache oov;
  std::vector<int32_t> tokenRows;  // rows of the current out-of-vocabulary token (bounded)
  size_t nrows = 0;                 // rows added to `hidden` so far
  std::vector<int32_t> wordHashes;  // signed, as fastText keeps them for word n-grams
  std::vector<float> hidden, output;
  std::vector<Scored> heap;
  std::string wrapped;
};

// Keeps the k best (score, label) in a min-heap on the score, as fastText's predict does.
inline void offer(std::vector<Scored>& heap, size_t k, float score, int32_t label) {
  heap.emplace_back(score, label);
  std::push_heap(heap.begin(), heap.end(), scoredGreater);
  if (heap.size() > k) {
    std::pop_heap(heap.begin(), heap.end(), scoredGreater);
    heap.pop_back();
  }
}

void hsSearch(const Model& m, size_t k, float logThreshold, int32_t node, float score, Scratch& s) {
  if (score < logThreshold) return;
  if (s.heap.size() == k && score < s.heap.front().first) return;
  const TreeNode& t = m.tree[node];
  if (t.left == -1 && t.right == -1) {
    offer(s.heap, k, score, node);
    return;
  }
  float f = m.output.dotRow(s.hidden.data(), node - m.nlabels);
  f = static_cast<float>(1. / (1 + std::exp(-f)));
  hsSearch(m, k, logThreshold, t.left, score + stdLog(static_cast<float>(1.0 - f)), s);
  hsSearch(m, k, logThreshold, t.right, score + stdLog(f), s);
}

// Adds input rows to the hidden sum, in order (so memory does not grow with the text).
inline void addRows(const Model& m, Scratch& s, const int32_t* rows, size_t n) {
  m.input.addRowsTo(s.hidden.data(), rows, n);
  s.nrows += n;
}

// One token: an in-vocabulary word adds its rows, an unknown word its char n-grams, a label
// token nothing. Returns false at a literal `</s>` (fastText ends the line there).
inline bool addToken(const Model& m, const char* w, size_t n, uint32_t h, Scratch& s) {
  int32_t id = m.lookup(w, n, h);
  bool isEos = n == 4 && std::memcmp(w, kEos, 4) == 0;
  bool isLabel = id >= 0 ? m.entryIsLabel[id] != 0
                         : (n >= 9 && std::memcmp(w, kLabelPrefix, 9) == 0);
  if (isLabel) return true;
  if (m.wordNgrams > 1) s.wordHashes.push_back(static_cast<int32_t>(h));
  if (id >= 0) {
    if (m.maxn <= 0) addRows(m, s, &id, 1);
    else addRows(m, s, m.subwords.data() + m.subwordStart[id], m.subwordStart[id + 1] - m.subwordStart[id]);
  } else if (!isEos) {
    if (const OovCache::Slot* hit = s.oov.find(w, n, h)) {
      addRows(m, s, s.oov.rows.data() + hit->rowsAt, hit->rowCount);
      return true;
    }
    s.wrapped.assign(1, '<');
    s.wrapped.append(w, n);
    s.wrapped.push_back('>');
    // A long token (a CJK paragraph has no spaces) is added in chunks; a short one is cached.
    constexpr size_t kChunk = 4096;
    s.tokenRows.clear();
    bool chunked = false;
    m.forEachCharNgram(s.wrapped.data(), s.wrapped.size(), [&](int32_t row) {
      s.tokenRows.push_back(row);
      if (s.tokenRows.size() == kChunk) {
        addRows(m, s, s.tokenRows.data(), kChunk);
        s.tokenRows.clear();
        chunked = true;
      }
    });
    if (!chunked) s.oov.put(w, n, h, s.tokenRows.data(), s.tokenRows.size());
    addRows(m, s, s.tokenRows.data(), s.tokenRows.size());
  }
  return !isEos;
}

// Predicts the k best labels of one line into s.heap, best first.
void predictLine(const Model& m, const char* text, size_t len, size_t k, float threshold, Scratch& s) {
  s.wordHashes.clear();
  s.heap.clear();
  s.nrows = 0;
  std::fill(s.hidden.begin(), s.hidden.end(), 0.0f);
  bool ended = false;
  size_t i = 0;
  while (i < len) {
    while (i < len && isSpace(text[i])) i++;
    if (i == len) break;
    size_t start = i;
    uint32_t h = kFnvInit;
    while (i < len && !isSpace(text[i])) h = fnvStep(h, text[i++]);
    if (!addToken(m, text + start, i - start, h, s)) { ended = true; break; }
  }
  if (!ended) addToken(m, kEos, 4, fnv(kEos, 4), s);  // the newline that ends the line
  // Word n-grams come after all tokens' rows: hashes of consecutive words combined (fastText
  // keeps them as int32 and widens them with sign extension).
  if (m.wordNgrams > 1 && m.bucket > 0) {
    size_t nh = s.wordHashes.size();
    for (size_t a = 0; a < nh; a++) {
      uint64_t h = static_cast<uint64_t>(static_cast<int64_t>(s.wordHashes[a]));
      for (size_t b = a + 1; b < nh && b < a + m.wordNgrams; b++) {
        h = h * 116049371 + static_cast<uint64_t>(static_cast<int64_t>(s.wordHashes[b]));
        int32_t row = m.bucketRow(static_cast<int32_t>(h % static_cast<uint64_t>(m.bucket)));
        if (row >= 0) addRows(m, s, &row, 1);
      }
    }
  }
  if (s.nrows == 0) return;

  // Hidden layer: the average of the input rows (summed above, in input order).
  float inv = static_cast<float>(1.0 / s.nrows);
  for (float& v : s.hidden) v *= inv;

  float logThreshold = stdLog(threshold);
  if (m.loss == kLossHs) {
    hsSearch(m, k, logThreshold, 2 * m.nlabels - 2, 0.0f, s);
  } else {
    int32_t osz = m.nlabels;
    float* out = s.output.data();
    for (int32_t j = 0; j < osz; j++) out[j] = m.output.dotRow(s.hidden.data(), j);
    if (m.loss == kLossSoftmax) {
      float mx = out[0], z = 0.0f;
      for (int32_t j = 0; j < osz; j++) mx = std::max(out[j], mx);
      for (int32_t j = 0; j < osz; j++) { out[j] = static_cast<float>(std::exp(static_cast<double>(out[j] - mx))); z += out[j]; }
      for (int32_t j = 0; j < osz; j++) out[j] /= z;
    } else {  // one-vs-all / negative sampling: independent sigmoids (fastText >= 0.9; 0.2 used a softmax for ns)
      for (int32_t j = 0; j < osz; j++) out[j] = tableSigmoid(out[j]);
    }
    for (int32_t j = 0; j < osz; j++) {
      if (out[j] < threshold) continue;
      float lp = stdLog(out[j]);
      if (s.heap.size() == k && lp < s.heap.front().first) continue;
      offer(s.heap, k, lp, j);
    }
  }
  std::sort_heap(s.heap.begin(), s.heap.end(), scoredGreater);
}

// --- loading ------------------------------------------------------------------------------

const char* parseModel(const uint8_t* data, size_t bytes, Model& m) {
  Reader r(data, bytes);
  if (r.get<int32_t>() != kMagic) return "not a fastText model (bad magic number)";
  int32_t version = r.get<int32_t>();
  if (version != kVersion) return "unsupported fastText model version (need 12)";
  m.dim = r.get<int32_t>();
  r.get<int32_t>();  // ws
  r.get<int32_t>();  // epoch
  r.get<int32_t>();  // minCount
  r.get<int32_t>();  // neg
  m.wordNgrams = r.get<int32_t>();
  m.loss = r.get<int32_t>();
  m.modelKind = r.get<int32_t>();
  m.bucket = r.get<int32_t>();
  m.minn = r.get<int32_t>();
  m.maxn = r.get<int32_t>();
  r.get<int32_t>();  // lrUpdateRate
  r.get<double>();   // t
  if (!r.ok) return "truncated fastText header";
  if (m.modelKind != kModelSup) return "not a supervised (classifier) fastText model";
  if (m.dim <= 0 || m.dim > 4096 || m.bucket < 0) return "bad fastText model arguments";

  int32_t size = r.get<int32_t>();
  m.nwords = r.get<int32_t>();
  m.nlabels = r.get<int32_t>();
  r.get<int64_t>();  // ntokens
  m.pruneSize = r.get<int64_t>();
  if (!r.ok || size < 0 || m.nwords < 0 || m.nlabels <= 0 || m.nwords + m.nlabels != size)
    return "bad fastText dictionary header";
  m.entryStart.push_back(0);
  for (int32_t i = 0; i < size; i++) {
    std::string w = r.cstring();
    int64_t count = r.get<int64_t>();
    int8_t type = r.get<int8_t>();
    if (!r.ok) return "truncated fastText dictionary";
    if ((type == 1) != (i >= m.nwords)) return "fastText dictionary: words and labels out of order";
    m.entryBytes += w;
    m.entryStart.push_back(static_cast<uint32_t>(m.entryBytes.size()));
    m.entryIsLabel.push_back(type == 1);
    if (type == 1) m.labelCounts.push_back(count);
  }
  if (m.bucket > 0) m.bucketMagic = ~uint64_t{0} / static_cast<uint32_t>(m.bucket) + 1;
  if (m.pruneSize > 0) {
    if (m.pruneSize > m.bucket) return "bad fastText pruned-bucket count";
    std::vector<std::pair<int32_t, int32_t>> kept(static_cast<size_t>(m.pruneSize));
    for (auto& [from, to] : kept) {
      from = r.get<int32_t>();
      to = r.get<int32_t>();
      if (!r.ok || from < 0 || from >= m.bucket || to < 0) return "bad fastText pruned-bucket index";
    }
    std::sort(kept.begin(), kept.end());
    size_t words = (static_cast<size_t>(m.bucket) + 63) / 64;
    m.keptBits.assign(words, 0);
    m.keptBefore.assign(words, 0);
    for (size_t i = 0; i < kept.size(); i++) {
      if (i > 0 && kept[i].first == kept[i - 1].first) return "fastText pruned-bucket index repeats a bucket";
      m.keptBits[kept[i].first >> 6] |= uint64_t{1} << (kept[i].first & 63);
      m.keptRow.push_back(kept[i].second);
    }
    uint32_t before = 0;
    for (size_t w = 0; w < words; w++) {
      m.keptBefore[w] = before;
      before += static_cast<uint32_t>(__builtin_popcountll(m.keptBits[w]));
    }
  }
  bool quantInput = r.get<uint8_t>() != 0;
  if (!r.ok) return "truncated fastText model";
  if (!(quantInput ? m.input.loadQuantized(r) : m.input.loadDense(r))) return "bad fastText input matrix";
  bool quantOutput = r.get<uint8_t>() != 0;
  if (!r.ok) return "truncated fastText model";
  if (!((quantInput && quantOutput) ? m.output.loadQuantized(r) : m.output.loadDense(r)))
    return "bad fastText output matrix";
  if (m.input.cols != m.dim || m.output.cols != m.dim) return "fastText matrices do not match dim";
  if (m.output.rows != m.nlabels) return "fastText output matrix does not match the labels";
  if (m.loss != kLossHs && m.loss != kLossSoftmax && m.loss != kLossOva && m.loss != kLossNs)
    return "unknown fastText loss";

  m.buildTable();
  m.buildSubwords();
  int64_t maxRow = m.nwords + (m.pruneSize >= 0 ? m.pruneSize : m.bucket);
  if (m.input.rows < maxRow) return "fastText input matrix has fewer rows than the dictionary needs";
  for (int32_t to : m.keptRow)
    if (m.nwords + int64_t{to} >= m.input.rows) return "bad fastText pruned-bucket row";
  if (m.loss == kLossHs) m.buildTree();
  return nullptr;
}

// --- Node-API glue -------------------------------------------------------------------------

// What JS holds: the model and its scratch space (buffers and the OOV cache persist across
// calls; a handle lives in one isolate, so calls on it never run concurrently).
struct Handle {
  Model model;
  Scratch scratch;
};

Handle* unwrap(const Napi::Value& v) {
  if (!v.IsExternal()) return nullptr;
  return v.As<Napi::External<Handle>>().Data();
}

// A model handle parsed from the file's bytes (a JS Uint8Array or a mapped file).
Napi::Value NewHandle(Napi::Env env, const uint8_t* data, size_t size) {
  Handle* h = new Handle();
  if (const char* err = parseModel(data, size, h->model)) {
    delete h;
    Napi::Error::New(env, err).ThrowAsJavaScriptException();
    return env.Undefined();
  }
  h->scratch.hidden.resize(h->model.dim);
  h->scratch.output.resize(h->model.nlabels);
  return Napi::External<Handle>::New(env, h, [](Napi::Env, Handle* p) { delete p; });
}

Napi::Value Load(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsTypedArray()) {
    Napi::TypeError::New(env, "fasttextLoad(bytes: Uint8Array)").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  Napi::Uint8Array bytes = info[0].As<Napi::Uint8Array>();
  return NewHandle(env, bytes.Data(), bytes.ByteLength());
}

Napi::Value LoadFile(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsString()) {
    Napi::TypeError::New(env, "fasttextLoadFile(path: string)").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  const std::string path = info[0].As<Napi::String>().Utf8Value();
  const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  struct stat st;
  if (fd < 0 || fstat(fd, &st) != 0) {
    const std::string err = std::strerror(errno);
    if (fd >= 0) close(fd);
    Napi::Error::New(env, "cannot open: " + err).ThrowAsJavaScriptException();
    return env.Undefined();
  }
  const size_t size = static_cast<size_t>(st.st_size);
  // The parser copies what it keeps into its own arrays: map the file read-only, read it once
  // front to back, unmap.
  void* data = size ? mmap(nullptr, size, PROT_READ, MAP_PRIVATE, fd, 0) : nullptr;
  close(fd);
  if (size && data == MAP_FAILED) {
    Napi::Error::New(env, std::string("cannot map: ") + std::strerror(errno)).ThrowAsJavaScriptException();
    return env.Undefined();
  }
  if (size) madvise(data, size, MADV_SEQUENTIAL);
  Napi::Value handle = NewHandle(env, static_cast<const uint8_t*>(data), size);
  if (size) munmap(data, size);
  return handle;
}

Napi::Value Info(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Handle* h = info.Length() > 0 ? unwrap(info[0]) : nullptr;
  if (!h) {
    Napi::TypeError::New(env, "fasttextInfo(model)").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  const Model* m = &h->model;
  Napi::Object o = Napi::Object::New(env);
  o.Set("dim", m->dim);
  o.Set("nwords", m->nwords);
  o.Set("nlabels", m->nlabels);
  o.Set("minn", m->minn);
  o.Set("maxn", m->maxn);
  o.Set("wordNgrams", m->wordNgrams);
  o.Set("bucket", m->bucket);
  static const char* losses[] = {"", "hs", "ns", "softmax", "ova"};
  o.Set("loss", losses[m->loss]);
  o.Set("quantized", m->input.quantized);
  Napi::Array labels = Napi::Array::New(env, m->nlabels);
  for (int32_t i = 0; i < m->nlabels; i++) {
    int32_t id = m->nwords + i;
    labels.Set(i, Napi::String::New(env, m->entryBytes.data() + m->entryStart[id],
                                    m->entryStart[id + 1] - m->entryStart[id]));
  }
  o.Set("labels", labels);
  return o;
}

Napi::Value Predict(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Handle* h = info.Length() > 0 ? unwrap(info[0]) : nullptr;
  if (!h || info.Length() < 4 || !info[1].IsArray() || !info[2].IsNumber() || !info[3].IsNumber()) {
    Napi::TypeError::New(env, "fasttextPredict(model, texts: string[], k: number, threshold: number)")
        .ThrowAsJavaScriptException();
    return env.Undefined();
  }
  Napi::Array texts = info[1].As<Napi::Array>();
  int32_t k = info[2].As<Napi::Number>().Int32Value();
  float threshold = info[3].As<Napi::Number>().FloatValue();
  if (k <= 0) {
    Napi::RangeError::New(env, "fasttextPredict: k must be >= 1").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  uint32_t n = texts.Length();
  Napi::Int32Array labels = Napi::Int32Array::New(env, static_cast<size_t>(n) * k);
  Napi::Float32Array scores = Napi::Float32Array::New(env, static_cast<size_t>(n) * k);
  const Model* m = &h->model;
  Scratch& s = h->scratch;
  std::vector<char> utf8(1 << 16);
  for (uint32_t t = 0; t < n; t++) {
    napi_value v = texts.Get(t);
    // Size the buffer from the UTF-16 length (O(1); at most 3 UTF-8 bytes per unit) rather
    // than asking for the UTF-8 length, which is a pass over the whole string.
    size_t units = 0, len = 0;
    if (napi_get_value_string_utf16(env, v, nullptr, 0, &units) != napi_ok) {
      Napi::TypeError::New(env, "fasttextPredict: texts must be strings").ThrowAsJavaScriptException();
      return env.Undefined();
    }
    if (3 * units + 1 > utf8.size()) utf8.resize(3 * units + 1);
    napi_get_value_string_utf8(env, v, utf8.data(), utf8.size(), &len);
    predictLine(*m, utf8.data(), len, static_cast<size_t>(k), threshold, s);
    for (int32_t j = 0; j < k; j++) {
      size_t at = static_cast<size_t>(t) * k + j;
      bool has = static_cast<size_t>(j) < s.heap.size();
      labels[at] = has ? s.heap[j].second : -1;
      scores[at] = has ? std::exp(s.heap[j].first) : 0.0f;
    }
  }
  Napi::Object result = Napi::Object::New(env);
  result.Set("labels", labels);
  result.Set("scores", scores);
  return result;
}

}  // namespace

void InitFastText(Napi::Env env, Napi::Object exports) {
  exports.Set("fasttextLoad", Napi::Function::New(env, Load));
  exports.Set("fasttextLoadFile", Napi::Function::New(env, LoadFile));
  exports.Set("fasttextInfo", Napi::Function::New(env, Info));
  exports.Set("fasttextPredict", Napi::Function::New(env, Predict));
}

}  // namespace refinery
