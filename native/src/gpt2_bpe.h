// GPT-2 byte-level BPE (tiktoken's `gpt2` / r50k_base encoding), shared by the tokenizer
// binding (gpt2_bpe.cc) and the MinHash kernel (minhash.cc).
#pragma once
#include <cstddef>
#include <cstdint>
#include <vector>

namespace refinery::gpt2 {

// True once gpt2Load has been given the ranks.
bool Loaded();

// Encodes UTF-16 text (lone surrogates read as U+FFFD, as tiktoken's JS binding does).
// Appends token ids to `ids`; when `offsets` is not null, also the UTF-16 offset of the
// character holding each token's first byte.
void Encode(const char16_t* text, size_t n, std::vector<uint32_t>& ids, std::vector<uint32_t>* offsets);

}  // namespace refinery::gpt2
