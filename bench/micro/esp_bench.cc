// ESP per-packet micro-benchmarks: EspOutboundSa::Encapsulate and
// EspInboundSa::Decapsulate (tunnel mode) with AES-128-GCM-16 and
// ChaCha20-Poly1305 on 64-byte and 1400-byte inner packets. Decapsulation
// works in place, so each iteration first copies a sealed packet into the
// work buffer (BM_Copy measures that copy alone).
#include <benchmark/benchmark.h>

#include <cstring>

#include "xfrm/esp/esp_sa.h"

namespace {

using namespace ike;
using namespace ike::esp;

struct Alg {
  const char* name;
  TransformSpec spec;
  size_t key_len;  // including the 4-byte salt
};

const Alg kAlgs[] = {
    {"aes128gcm16", {EncrId::kAesGcm16, 128, IntegId::kNone}, 16 + 4},
    {"chacha20poly1305", {EncrId::kChaCha20Poly1305, 256, IntegId::kNone}, 32 + 4},
};

// A minimal IPv4 packet of `len` bytes (tunnel mode checks the inner header).
void FillIpv4(uint8_t* p, size_t len) {
  std::memset(p, 0x5a, len);
  p[0] = 0x45;
  p[1] = 0;
  p[2] = static_cast<uint8_t>(len >> 8);
  p[3] = static_cast<uint8_t>(len);
  p[8] = 64;
  p[9] = 17;
  const uint8_t src[4] = {192, 0, 2, 1}, dst[4] = {203, 0, 113, 1};
  std::memcpy(p + 12, src, 4);
  std::memcpy(p + 16, dst, 4);
}

EspSaConfig Config(const Alg& alg, const Bytes& key) {
  EspSaConfig c;
  c.spi = 0xc0ffee01;
  c.mode = EspMode::kTunnel;
  c.transform = alg.spec;
  c.enc_key = key;
  c.replay_window = 0;  // the same packet is opened again and again
  return c;
}

void BM_Encap(benchmark::State& state) {
  const Alg& alg = kAlgs[state.range(0)];
  size_t len = static_cast<size_t>(state.range(1));
  Bytes key(alg.key_len, 0x42);
  auto sa = EspOutboundSa::Create(Config(alg, key));
  if (!sa) {
    state.SkipWithError("cannot create SA");
    return;
  }
  Bytes buf(kMaxEspHeadroom + len + kMaxEspTailroom);
  FillIpv4(buf.data() + kMaxEspHeadroom, len);
  for (auto _ : state) {
    auto r = (*sa)->Encapsulate(MutableByteView(buf.data(), buf.size()), kMaxEspHeadroom, len, 4);
    if (!r) state.SkipWithError("encap failed");
    benchmark::DoNotOptimize(r);
  }
  state.SetLabel(alg.name);
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * len));
  state.counters["pps"] = benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
}

void BM_Decap(benchmark::State& state) {
  const Alg& alg = kAlgs[state.range(0)];
  size_t len = static_cast<size_t>(state.range(1));
  Bytes key(alg.key_len, 0x42);
  auto out = EspOutboundSa::Create(Config(alg, key));
  auto in = EspInboundSa::Create(Config(alg, key));
  if (!out || !in) {
    state.SkipWithError("cannot create SA");
    return;
  }
  Bytes buf(kMaxEspHeadroom + len + kMaxEspTailroom);
  FillIpv4(buf.data() + kMaxEspHeadroom, len);
  auto sealed = (*out)->Encapsulate(MutableByteView(buf.data(), buf.size()), kMaxEspHeadroom, len, 4);
  if (!sealed) {
    state.SkipWithError("encap failed");
    return;
  }
  Bytes packet(sealed->begin(), sealed->end());
  Bytes work(packet.size());
  for (auto _ : state) {
    std::memcpy(work.data(), packet.data(), packet.size());
    auto r = (*in)->Decapsulate(MutableByteView(work.data(), work.size()));
    if (!r) state.SkipWithError("decap failed");
    benchmark::DoNotOptimize(r);
  }
  state.SetLabel(alg.name);
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * len));
  state.counters["pps"] = benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
}

void BM_Copy(benchmark::State& state) {
  size_t len = static_cast<size_t>(state.range(0)) + 40;
  Bytes a(len, 1), b(len);
  for (auto _ : state) {
    std::memcpy(b.data(), a.data(), len);
    benchmark::ClobberMemory();
  }
}

BENCHMARK(BM_Encap)->ArgsProduct({{0, 1}, {64, 1400}})->ArgNames({"alg", "bytes"});
BENCHMARK(BM_Decap)->ArgsProduct({{0, 1}, {64, 1400}})->ArgNames({"alg", "bytes"});
BENCHMARK(BM_Copy)->Arg(64)->Arg(1400);

}  // namespace
