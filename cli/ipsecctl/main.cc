// ipsecctl: the control tool. Talks to charon over its control socket
// (cli/control/PROTOCOL.md). Human tables by default, --json for scripts.
// Exit codes: 0 ok, 1 the daemon reports failure, 2 usage error, 3 daemon
// not running, 4 permission denied, 5 protocol error, 6 not found,
// 7 timeout, 8 connection broken.
#include <unistd.h>

#include <csignal>
#include <cstdlib>
#include <iostream>
#include <string>
#include <vector>

#include <boost/program_options.hpp>

#include "cli/control/client.h"
#include "cli/ipsecctl/render.h"

namespace po = boost::program_options;
using ike::control::Command;

namespace {

constexpr int kUsageExit = 2;

struct CommandSpec {
  Command command;
  const char* summary;
};

const std::vector<CommandSpec>& Specs() {
  static const std::vector<CommandSpec> specs = {
      {Command::kLoad, "load configuration: --all (default), --conns, --creds, --pools"},
      {Command::kInitiate, "initiate a connection: --child NAME | --ike NAME [--timeout S]"},
      {Command::kTerminate, "terminate SAs: --child NAME | --ike NAME | --ike-id N | --child-id N"},
      {Command::kRekey, "rekey SAs: --child NAME | --ike NAME | --ike-id N | --child-id N [--reauth]"},
      {Command::kListSas, "list IKE_SAs and CHILD_SAs [--ike NAME]"},
      {Command::kListConns, "list loaded connections"},
      {Command::kListCerts, "list loaded certificates"},
      {Command::kListPools, "list virtual IP pools and leases"},
      {Command::kListAlgs, "list algorithms and the kernel drivers serving them"},
      {Command::kStats, "daemon statistics and counters"},
      {Command::kLog, "stream the daemon's log and events until interrupted"},
      {Command::kVersion, "daemon and protocol version"},
  };
  return specs;
}

void PrintUsage(std::ostream& out, const po::options_description& global) {
  out << "usage: ipsecctl [--socket PATH] [--json] COMMAND [OPTIONS]\n\ncommands:\n";
  for (const auto& s : Specs()) {
    std::string name(ike::control::CommandName(s.command));
    out << "  " << name << std::string(name.size() < 12 ? 12 - name.size() : 1, ' ') << s.summary << "\n";
  }
  out << "\n" << global << "\nThe socket is also taken from $" << ike::control::kSocketEnvVar << ".\n";
}

// Builds the request arguments for a command from its own options.
int ParseCommandArgs(Command command, const std::vector<std::string>& rest, nlohmann::json& args,
                     int& timeout_s) {
  po::options_description opts("options");
  opts.add_options()("help,h", "help for this command");
  bool selects_sa = command == Command::kInitiate || command == Command::kTerminate ||
                    command == Command::kRekey || command == Command::kListSas;
  if (selects_sa) {
    opts.add_options()("ike", po::value<std::string>(), "IKE connection name")(
        "child", po::value<std::string>(), "CHILD_SA configuration name");
  }
  if (command == Command::kTerminate || command == Command::kRekey) {
    opts.add_options()("ike-id", po::value<uint64_t>(), "IKE_SA unique id")(
        "child-id", po::value<uint64_t>(), "CHILD_SA unique id");
  }
  if (command == Command::kInitiate || command == Command::kTerminate) {
    opts.add_options()("timeout", po::value<int>(&timeout_s), "seconds to wait for completion");
  }
  if (command == Command::kRekey) opts.add_options()("reauth", "reauthenticate instead of rekeying");
  if (command == Command::kStats) opts.add_options()("traffic", "also each CHILD_SA's bytes and packets");
  if (command == Command::kLoad) {
    opts.add_options()("all", "connections, credentials and pools (default)")("conns", "connections")(
        "creds", "credentials")("pools", "pools")("file", po::value<std::string>(),
                                                  "configuration file (default: the daemon's)");
  }
  po::variables_map vm;
  try {
    po::store(po::command_line_parser(rest).options(opts).run(), vm);
    po::notify(vm);
  } catch (const po::error& e) {
    std::cerr << "ipsecctl " << ike::control::CommandName(command) << ": " << e.what() << "\n" << opts;
    return kUsageExit;
  }
  if (vm.count("help")) {
    std::cout << "ipsecctl " << ike::control::CommandName(command) << "\n" << opts;
    return 0;
  }
  for (const char* key : {"ike", "child"}) {
    if (vm.count(key)) args[key] = vm[key].as<std::string>();
  }
  for (const char* key : {"ike-id", "child-id"}) {
    if (vm.count(key)) {
      std::string k(key);
      k[3] = '_';
      args[k] = vm[key].as<uint64_t>();
    }
  }
  if (vm.count("reauth")) args["reauth"] = true;
  if (vm.count("traffic")) args["traffic"] = true;
  if (command == Command::kLoad) {
    std::string what = "all";
    int chosen = 0;
    for (const char* k : {"conns", "creds", "pools"}) {
      if (vm.count(k)) {
        what = k;
        ++chosen;
      }
    }
    if (chosen > 1) {
      std::cerr << "ipsecctl load: choose one of --all, --conns, --creds, --pools\n";
      return kUsageExit;
    }
    args["what"] = what;
    if (vm.count("file")) args["file"] = vm["file"].as<std::string>();
  }
  if ((command == Command::kInitiate || command == Command::kTerminate || command == Command::kRekey) &&
      !args.contains("ike") && !args.contains("child") && !args.contains("ike_id") &&
      !args.contains("child_id")) {
    std::cerr << "ipsecctl " << ike::control::CommandName(command)
              << ": name the SA with --child or --ike (or an id)\n";
    return kUsageExit;
  }
  if (timeout_s > 0) args["timeout_ms"] = timeout_s * 1000;
  return -1;  // continue
}

}  // namespace

int main(int argc, char** argv) {
  std::string socket_path = ike::control::kDefaultSocketPath;
  if (const char* env = std::getenv(ike::control::kSocketEnvVar); env && *env) socket_path = env;

  po::options_description global("global options");
  global.add_options()("help,h", "show this help")(
      "socket,s", po::value<std::string>(&socket_path), "control socket path")(
      "json", "print the daemon's JSON answer instead of a table");
  po::options_description hidden;
  hidden.add_options()("command", po::value<std::string>())(
      "args", po::value<std::vector<std::string>>());
  po::options_description all;
  all.add(global).add(hidden);
  po::positional_options_description pos;
  pos.add("command", 1).add("args", -1);

  po::variables_map vm;
  std::vector<std::string> rest;
  try {
    po::parsed_options parsed =
        po::command_line_parser(argc, argv).options(all).positional(pos).allow_unregistered().run();
    po::store(parsed, vm);
    po::notify(vm);
    rest = po::collect_unrecognized(parsed.options, po::include_positional);
  } catch (const po::error& e) {
    std::cerr << "ipsecctl: " << e.what() << "\n";
    PrintUsage(std::cerr, global);
    return kUsageExit;
  }
  if (!vm.count("command")) {
    PrintUsage(vm.count("help") ? std::cout : std::cerr, global);
    return vm.count("help") ? 0 : kUsageExit;
  }
  std::string name = vm["command"].as<std::string>();
  auto command = ike::control::CommandFromName(name);
  if (!command) {
    std::cerr << "ipsecctl: unknown command '" << name << "'\n";
    PrintUsage(std::cerr, global);
    return kUsageExit;
  }
  if (!rest.empty() && rest.front() == name) rest.erase(rest.begin());
  // The global parser took --help; after a command it asks for that command's help.
  if (vm.count("help")) rest.push_back("--help");
  bool json = vm.count("json") > 0;

  nlohmann::json args = nlohmann::json::object();
  int timeout_s = 0;
  if (int rc = ParseCommandArgs(*command, rest, args, timeout_s); rc >= 0) return rc;

  auto client = ike::control::Client::Connect(socket_path);
  if (!client) {
    std::cerr << "ipsecctl: " << client.error().message << "\n";
    return client.error().ExitCode();
  }

  if (*command == Command::kLog) {
    std::signal(SIGPIPE, SIG_IGN);
    auto r = client->Stream(*command, args, [&](const ike::control::Event& e) {
      if (json) {
        std::cout << e.body.dump() << std::endl;
      } else {
        std::cout << ike::ipsecctl::RenderEvent(e.body) << std::endl;
      }
      return static_cast<bool>(std::cout);
    });
    if (!r) {
      std::cerr << "ipsecctl: " << r.error().message << "\n";
      return r.error().ExitCode();
    }
    return 0;
  }

  // Commands that wait for an exchange get the daemon's own timeout plus slack.
  auto wait = std::chrono::milliseconds(timeout_s > 0 ? (timeout_s + 5) * 1000 : 120000);
  auto response = client->Call(*command, args, wait);
  if (!response) {
    std::cerr << "ipsecctl: " << response.error().message << "\n";
    return response.error().ExitCode();
  }
  if (json) {
    std::cout << ike::control::ToJson(*response).dump(2) << "\n";
  } else if (response->ok) {
    std::cout << ike::ipsecctl::Render(*command, response->result);
  }
  if (!response->ok) {
    std::cerr << "ipsecctl " << name << ": " << response->error.message << "\n";
    return ike::control::ExitCodeFor(response->error.code);
  }
  return 0;
}
