#include "ferry/cli/serve_pipelines.h"

#include <condition_variable>
#include <ctime>
#include <iostream>
#include <mutex>
#include <thread>

#include "ferry/cli/pipeline_commands.h"
#include "ferry/pipeline/http/pipeline_routes.h"
#include "ferry/pipeline/launcher.h"
#include "ferry/pipeline/run_store.h"
#include "ferry/pipeline/scheduler.h"
#include "ferry/registry/registry.h"

namespace ferry::cli {

class ServePipelines::Impl {
 public:
  ServePipelineArgs args;
  std::string uri;
  std::vector<pipeline::PipelineFile> files;
  std::unique_ptr<pipeline::RunLauncher> launcher;
  std::shared_ptr<pipeline::PipelineRoutes> routes;
  std::thread thread;
  std::mutex mu;
  std::condition_variable wake;
  bool stopping = false;

  void Loop(std::unique_ptr<pipeline::Scheduler> scheduler) {
    std::unique_lock lock(mu);
    while (!stopping) {
      lock.unlock();
      int64_t now = static_cast<int64_t>(std::time(nullptr));
      Result<std::vector<std::string>> started = scheduler->Tick(now);
      if (!started.ok()) {
        std::cerr << "ferry serve: scheduler: " << started.status().message() << std::endl;
      }
      int64_t wait_s = std::min<int64_t>(scheduler->SecondsUntilNext(now), 30);
      lock.lock();
      wake.wait_for(lock, std::chrono::seconds(wait_s), [this] { return stopping; });
    }
  }
};

ServePipelines::ServePipelines(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

ServePipelines::~ServePipelines() { Stop(); }

Result<std::unique_ptr<ServePipelines>> ServePipelines::Create(const ServePipelineArgs& args,
                                                               protocol::Router& router) {
  if (args.scheduler && args.files.empty()) {
    return InvalidArgument("--scheduler needs at least one --pipeline FILE");
  }
  auto impl = std::make_unique<Impl>();
  impl->args = args;
  impl->uri = PipelineRegistryUri(args.registry);
  FERRY_ASSIGN_OR_RETURN(impl->files, pipeline::LoadPipelineFiles(args.files));
  pipeline::LaunchOptions launch;
  launch.registry_uri = impl->uri;
  launch.log_dir = registry::RegistryOptionsFromEnv(args.registry).home / "scheduler";
  impl->launcher = std::make_unique<pipeline::RunLauncher>(launch);
  impl->routes = std::make_shared<pipeline::PipelineRoutes>(impl->files, *impl->launcher);
  auto routes = impl->routes;
  router.AddRoute("GET", "/api/v1/pipelines",
                  [routes](protocol::HttpRequest& request, protocol::Responder done) {
                    routes->Handle(request, done);
                  });
  router.AddRoute(
      "POST", "/api/v1/pipelines",
      [routes](protocol::HttpRequest& request, protocol::Responder done) {
        routes->Handle(request, done);
      },
      /*management=*/true);
  return std::unique_ptr<ServePipelines>(new ServePipelines(std::move(impl)));
}

bool ServePipelines::Has(const std::string& name) const {
  for (const pipeline::PipelineFile& f : impl_->files) {
    if (f.spec.name == name) return true;
  }
  return false;
}

Result<std::string> ServePipelines::Trigger(const std::string& name,
                                            const std::map<std::string, std::string>& params) {
  FERRY_ASSIGN_OR_RETURN(pipeline::PipelineRoutes::Triggered t,
                         impl_->routes->Trigger(name, params));
  return t.run_id;
}

Status ServePipelines::Start() {
  if (!impl_->args.scheduler) return Status::Ok();
  FERRY_ASSIGN_OR_RETURN(std::unique_ptr<pipeline::RunStore> store,
                         pipeline::RunStore::Open(impl_->uri));
  pipeline::SchedulerOptions options;
  options.starting_deadline_s = impl_->args.starting_deadline_s;
  options.log = [](const std::string& line) {
    std::cerr << "ferry serve: scheduler: " << line << std::endl;
  };
  auto scheduler =
      std::make_unique<pipeline::Scheduler>(*store, *impl_->launcher, impl_->files, options);
  impl_->thread = std::thread(
      [impl = impl_.get(), store = std::move(store), scheduler = std::move(scheduler)]() mutable {
        impl->Loop(std::move(scheduler));
      });
  return Status::Ok();
}

void ServePipelines::Stop() {
  if (!impl_ || !impl_->thread.joinable()) return;
  {
    std::lock_guard lock(impl_->mu);
    impl_->stopping = true;
  }
  impl_->wake.notify_all();
  impl_->thread.join();
}

}  // namespace ferry::cli
