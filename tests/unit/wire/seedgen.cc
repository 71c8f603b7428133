// Writes the fuzz seed corpus from the sample messages:
//   ike_wire_seedgen <repo>/tests/fuzz/corpus
// Not a test; run by hand when the samples change, then commit the files.
#include <cstdio>
#include <string>

#include "libike/wire/message.h"
#include "tests/unit/wire/sample_messages.h"

namespace {

bool WriteFile(const std::string& path, const ike::Bytes& bytes) {
  FILE* f = std::fopen(path.c_str(), "wb");
  if (f == nullptr) return false;
  bool ok = std::fwrite(bytes.data(), 1, bytes.size(), f) == bytes.size();
  return std::fclose(f) == 0 && ok;
}

// ike_payloads_fuzz input: [type index][allow SK][chain].
ike::Bytes PayloadSeed(uint8_t type_index, bool allow_encrypted,
                       const std::vector<ike::wire::Payload>& chain) {
  ike::Bytes out{type_index, static_cast<uint8_t>(allow_encrypted ? 1 : 0)};
  ike::Bytes body = ike::wire::EncodePayloadChain(chain);
  out.insert(out.end(), body.begin(), body.end());
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace ike::wire;
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s CORPUS_DIR\n", argv[0]);
    return 2;
  }
  std::string dir = argv[1];
  bool ok = true;
  ok &= WriteFile(dir + "/ike_message/ike_sa_init_request", EncodeMessage(testing::IkeSaInitRequest()));
  ok &= WriteFile(dir + "/ike_message/ike_sa_init_response", EncodeMessage(testing::IkeSaInitResponse()));
  ok &= WriteFile(dir + "/ike_message/ike_auth_sk", EncodeMessage(testing::IkeAuthEncrypted()));
  ok &= WriteFile(dir + "/ike_message/informational_clear", EncodeMessage(testing::ClearPayloadsMessage()));
  ok &= WriteFile(dir + "/ike_message/ike_auth_skf", EncodeMessage(testing::SkfFragment()));
  // Index 3 = IDi, 1 = SA, 17 = SKF in the fuzz target's type table.
  ok &= WriteFile(dir + "/ike_payloads/ike_auth_inner", PayloadSeed(3, false, testing::IkeAuthInnerPayloads()));
  ok &= WriteFile(dir + "/ike_payloads/informational_clear",
                  PayloadSeed(3, false, testing::ClearPayloadsMessage().payloads));
  ok &= WriteFile(dir + "/ike_payloads/ike_sa_init",
                  PayloadSeed(1, false, testing::IkeSaInitRequest().payloads));
  ok &= WriteFile(dir + "/ike_payloads/skf", PayloadSeed(17, true, testing::SkfFragment().payloads));
  if (!ok) std::fprintf(stderr, "seedgen: could not write every file under %s\n", dir.c_str());
  return ok ? 0 : 1;
}
