// Writes the ikev1_message_fuzz seed corpus from the sample messages:
//   ike_v1wire_seedgen <repo>/tests/fuzz/corpus/ikev1_message_fuzz
// Not a test; run by hand when the samples change, then commit the files.
#include <cstdio>
#include <string>

#include "libike/ikev1/message.h"
#include "tests/unit/ikev1/samples.h"

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s CORPUS_DIR\n", argv[0]);
    return 2;
  }
  bool ok = true;
  for (const auto& [name, m] : ike::v1::testing::AllSamples()) {
    ike::Bytes bytes = ike::v1::EncodeMessage(m);
    std::string path = std::string(argv[1]) + "/" + name;
    FILE* f = std::fopen(path.c_str(), "wb");
    if (f == nullptr) {
      ok = false;
      continue;
    }
    ok &= std::fwrite(bytes.data(), 1, bytes.size(), f) == bytes.size();
    ok &= std::fclose(f) == 0;
  }
  if (!ok) std::fprintf(stderr, "seedgen: could not write every file under %s\n", argv[1]);
  return ok ? 0 : 1;
}
