// MinHash text normalization (spec §7), byte for byte the JS reference normalizeForMinhash in
// stages/minhash/normalize.ts: lowercase, NFD with marks removed, P/S -> space, optionally
// \p{Nd} -> '0', whitespace collapsed to one space and trimmed.
#pragma once
#include <cstddef>
#include <string>

namespace refinery::normalize {
// Normalizes the UTF-16 text s[0..n) into out (cleared first). Lone surrogates pass through.
void ForMinhash(const char16_t* s, size_t n, bool digitsToZero, std::u16string& out);
}  // namespace refinery::normalize
