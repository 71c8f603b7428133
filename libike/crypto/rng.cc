#include "libike/crypto/rng.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include <algorithm>

#include <cstdlib>
#include <cstring>

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

namespace {

// Small requests (SPIs, nonces, ephemeral keys, timer jitter: about ten per
// handshake) are served from a per-thread block drawn from the DRBG in one
// call; each RAND_bytes call costs a thread-local lookup, a lock and a DRBG
// update whatever its size. Served bytes are wiped from the block at once and
// the rest on thread exit, so no output is ever handed out twice or left
// behind.
class RandomBlock {
 public:
  static constexpr size_t kSize = 512;
  static constexpr size_t kMaxServed = 64;

  ~RandomBlock() { OPENSSL_cleanse(block_, sizeof(block_)); }

  void Take(uint8_t* out, size_t size) {
    if (kSize - used_ < size) {
      if (RAND_bytes(block_, static_cast<int>(kSize)) != 1) std::abort();
      used_ = 0;
    }
    std::memcpy(out, block_ + used_, size);
    OPENSSL_cleanse(block_ + used_, size);
    used_ += size;
  }

 private:
  uint8_t block_[kSize] = {};
  size_t used_ = kSize;
};

}  // namespace

void OpenSslRng::Fill(MutableByteView out) {
  if (out.empty()) return;
  if (out.size() <= RandomBlock::kMaxServed) {
    thread_local RandomBlock block;
    block.Take(out.data(), out.size());
    return;
  }
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
