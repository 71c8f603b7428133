#include "libike/crypto/rng.h"

#include <openssl/evp.h>
#include <openssl/rand.h>

#include <algorithm>

#include <cstdlib>

namespace ike::crypto {

Bytes Rng::Generate(size_t size) {
  Bytes out(size);
  Fill(out);
  return out;
}

SecretBytes Rng::GenerateSecret(size_t size) {
  SecretBytes out(size);
  Fill(out.mutable_view());
  return out;
}

void OpenSslRng::Fill(MutableByteView out) {
  size_t done = 0;
  while (done < out.size()) {
    size_t chunk = std::min<size_t>(out.size() - done, 1 << 20);
    if (RAND_bytes(out.data() + done, static_cast<int>(chunk)) != 1) std::abort();
    done += chunk;
  }
}

DeterministicRng::DeterministicRng(uint64_t seed) {
  for (int i = 7; i >= 0; --i) seed_.push_back(static_cast<uint8_t>(seed >> (8 * i)));
}

DeterministicRng::DeterministicRng(ByteView seed) : seed_(seed.begin(), seed.end()) {}

void DeterministicRng::NextBlock() {
  uint8_t ctr[8];
  for (int i = 0; i < 8; ++i) ctr[i] = static_cast<uint8_t>(counter_ >> (8 * (7 - i)));
  ++counter_;
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  unsigned int len = 0;
  if (ctx == nullptr || EVP_DigestInit_ex(ctx, EVP_sha256(), nullptr) != 1 ||
      EVP_DigestUpdate(ctx, seed_.data(), seed_.size()) != 1 ||
      EVP_DigestUpdate(ctx, ctr, sizeof(ctr)) != 1 || EVP_DigestFinal_ex(ctx, block_, &len) != 1) {
    std::abort();
  }
  EVP_MD_CTX_free(ctx);
  block_used_ = 0;
}

void DeterministicRng::Fill(MutableByteView out) {
  for (uint8_t& b : out) {
    if (block_used_ == sizeof(block_)) NextBlock();
    b = block_[block_used_++];
  }
}

}  // namespace ike::crypto
