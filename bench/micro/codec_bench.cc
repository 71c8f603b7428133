// IKE codec micro-benchmarks: decode and encode of an IKE_AUTH-sized message.
// The plaintext inner chain is what a certificate-authenticated IKE_AUTH
// request carries (IDi, CERT with an ECDSA P-256 certificate, N(INITIAL_
// CONTACT), CERTREQ, IDr, AUTH, SA, TSi, TSr, N(MOBIKE) ...), about 900
// bytes; the outer message is the IKE header plus an SK payload of that size.
#include <benchmark/benchmark.h>

#include "libike/wire/message.h"
#include "tests/sim/cert_util.h"

namespace {

using namespace ike;
using namespace ike::wire;

IpAddress Ip(const char* text) { return *IpAddress::Parse(text); }

Bytes Fill(size_t n, uint8_t seed) {
  Bytes b(n);
  for (size_t i = 0; i < n; ++i) b[i] = static_cast<uint8_t>(seed + i * 13);
  return b;
}

const std::vector<Payload>& InnerChain() {
  static const std::vector<Payload> chain = [] {
    sim::KeyCert ca = sim::MakeCa(sim::KeyKind::kEcP256, "bench CA");
    sim::KeyCert ee = sim::MakeCert(sim::KeyKind::kEcP256, "i1.bench.example", {"i1.bench.example"}, ca);
    Proposal esp{1, ProtocolId::kEsp, {0xc0, 0x01, 0xca, 0xfe}, {}};
    esp.transforms = {Transform::EncrWithKeyLength(EncrId::kAesGcm16, 128),
                      Transform::Make(TransformType::kEsn, static_cast<uint16_t>(EsnId::kNoEsn))};
    return std::vector<Payload>{
        IdPayload::FromFqdn(Role::kInitiator, "i1.bench.example"),
        CertPayload{CertEncoding::kX509Signature, ee.cert},
        NotifyPayload::Make(NotifyType::kInitialContact),
        CertReqPayload{CertEncoding::kX509Signature, Fill(20, 0x11)},
        IdPayload::FromFqdn(Role::kResponder, "responder.bench.example"),
        AuthPayload{AuthMethod::kDigitalSignature, Fill(16 + 72, 0x21)},
        SaPayload{{esp}},
        TsPayload{Role::kInitiator, {TrafficSelector::Range(Ip("192.0.2.7"), Ip("192.0.2.7"))}},
        TsPayload{Role::kResponder, {TrafficSelector::Range(Ip("203.0.113.0"), Ip("203.0.113.255"))}},
        NotifyPayload::Make(NotifyType::kMobikeSupported),
        NotifyPayload::Make(NotifyType::kNoAdditionalAddresses),
        NotifyPayload::Make(NotifyType::kEspTfcPaddingNotSupported),
    };
  }();
  return chain;
}

Message OuterMessage(size_t inner_size) {
  Message m;
  m.header.spi_i = 0x0102030405060708ull;
  m.header.spi_r = 0x1112131415161718ull;
  m.header.exchange_type = ExchangeType::kIkeAuth;
  m.header.initiator = true;
  m.header.message_id = 1;
  // IV (8) + ciphertext (inner + padding) + ICV (16), opaque to the codec.
  m.payloads = {SkPayload{PayloadType::kIdInitiator, Fill(8 + inner_size + 1 + 16, 0xe0)}};
  return m;
}

void BM_EncodeIkeAuthInner(benchmark::State& state) {
  const auto& chain = InnerChain();
  size_t bytes = 0;
  for (auto _ : state) {
    Bytes out = EncodePayloadChain(chain);
    bytes = out.size();
    benchmark::DoNotOptimize(out.data());
  }
  state.counters["bytes"] = static_cast<double>(bytes);
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * bytes));
}
BENCHMARK(BM_EncodeIkeAuthInner);

void BM_DecodeIkeAuthInner(benchmark::State& state) {
  Bytes wire = EncodePayloadChain(InnerChain());
  PayloadType first = FirstPayloadType(InnerChain());
  for (auto _ : state) {
    auto r = DecodePayloadChain(first, wire);
    if (!r) state.SkipWithError("decode failed");
    benchmark::DoNotOptimize(r);
  }
  state.counters["bytes"] = static_cast<double>(wire.size());
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * wire.size()));
}
BENCHMARK(BM_DecodeIkeAuthInner);

void BM_EncodeIkeAuthMessage(benchmark::State& state) {
  size_t inner = EncodePayloadChain(InnerChain()).size();
  Message m = OuterMessage(inner);
  size_t bytes = 0;
  for (auto _ : state) {
    EncodedMessage out = EncodeMessageWithLayout(m);
    bytes = out.bytes.size();
    benchmark::DoNotOptimize(out.bytes.data());
  }
  state.counters["bytes"] = static_cast<double>(bytes);
}
BENCHMARK(BM_EncodeIkeAuthMessage);

void BM_DecodeIkeAuthMessage(benchmark::State& state) {
  size_t inner = EncodePayloadChain(InnerChain()).size();
  Bytes wire = EncodeMessage(OuterMessage(inner));
  for (auto _ : state) {
    auto r = DecodeMessage(wire);
    if (!r) state.SkipWithError("decode failed");
    benchmark::DoNotOptimize(r);
  }
  state.counters["bytes"] = static_cast<double>(wire.size());
}
BENCHMARK(BM_DecodeIkeAuthMessage);

}  // namespace
