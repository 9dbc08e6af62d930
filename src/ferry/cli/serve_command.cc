#include "ferry/cli/serve_command.h"

#include <csignal>
#include <cstdio>
#include <iostream>
#include <thread>

#include "ferry/cli/commands.h"
#include "ferry/protocol/router.h"
#include "ferry/serving/model_server.h"
#include "ferry/serving/serve_settings.h"

namespace ferry::cli {
namespace {

int Fail(const Status& s) {
  std::cerr << "error: " << s.message() << "\n";
  return kExitFailure;
}

Result<serving::ServerOptions> BuildOptions(const ServeArgs& args) {
  serving::ServerOptions options;
  if (!args.config.empty()) {
    FERRY_RETURN_IF_ERROR(serving::LoadServeConfig(args.config, &options));
  }
  for (const std::string& m : args.models) {
    FERRY_ASSIGN_OR_RETURN(serving::ModelSource source, serving::ParseModelSource(m));
    options.models.push_back(std::move(source));
  }
  if (!args.repository.empty()) options.repository = args.repository;
  if (options.models.empty() && options.repository.empty()) {
    return InvalidArgument("nothing to serve: give --model NAME=BUNDLE_DIR or --repository DIR");
  }
  return options;
}

}  // namespace

int Serve(const ServeArgs& args) {
  // Signals are taken by sigwait in this thread: block them before any
  // other thread starts so that every thread inherits the mask.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  auto options = BuildOptions(args);
  if (!options.ok()) return Fail(options.status());
  if (Status s = args.http.Validate(); !s.ok()) return Fail(s);

  auto metrics = std::make_shared<monitor::MetricsRegistry>();
  auto core = serving::ModelServer::Create(*options, metrics);
  if (!core.ok()) return Fail(core.status());

  // Model loads run on their own threads; `loads` counts them so shutdown
  // waits for them before the core goes away.
  auto loads = std::make_shared<std::atomic<int>>(0);
  protocol::RouterOptions router_options;
  router_options.server_version = args.version;
  router_options.limits = args.limits;
  router_options.management_token = args.token;
  router_options.run_blocking = [loads](std::function<void()> work) {
    loads->fetch_add(1);
    std::thread([loads, work = std::move(work)] {
      work();
      loads->fetch_sub(1);
    }).detach();
  };
  protocol::Router router(**core, router_options, metrics);
  auto server = protocol::HttpServer::Start(args.http, router);
  if (!server.ok()) return Fail(server.status());

  std::cout << "ferry serve: listening on http://" << args.http.host << ":" << (*server)->port()
            << std::endl;

  int signal = 0;
  sigwait(&signals, &signal);
  std::cerr << "ferry serve: " << (signal == SIGTERM ? "SIGTERM" : "SIGINT") << ": shutting down"
            << std::endl;

  const auto timeout = std::chrono::milliseconds(options->shutdown_timeout_ms);
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  (*server)->StopAccepting();
  const bool drained = (*server)->WaitIdle(timeout);
  while (loads->load() > 0 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  // Answers whatever is still queued (kUnavailable) and stops the workers.
  (*core)->Shutdown(std::chrono::duration_cast<std::chrono::milliseconds>(std::max(
      deadline - std::chrono::steady_clock::now(), std::chrono::steady_clock::duration(0))));
  (*server)->WaitIdle(std::chrono::milliseconds(500));
  (*server)->Stop();
  if (!drained) std::cerr << "ferry serve: shutdown timeout passed with requests in flight\n";
  std::cerr << "ferry serve: stopped" << std::endl;
  return kExitOk;
}

}  // namespace ferry::cli
