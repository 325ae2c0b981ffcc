// The loader: open → configure → load → attach → drain → cleanup, each step failing with its own error (`step`
// and `errno` on the thrown Error). A native thread drains the ring buffer in capped batches and hands each batch
// to JS through a ThreadSafeFunction as one Buffer of whole records, without copying it again.
#include <napi.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <signal.h>
#include <sys/epoll.h>
#include <string>
#include <sys/syscall.h>
#include <thread>
#include <unistd.h>
#include <vector>
#include <linux/types.h>
#include "capture_abi.h"

namespace {

Napi::Error StepError(Napi::Env env, const char *step, int err, const std::string &what) {
  int code = err < 0 ? -err : err;
  auto e = Napi::Error::New(env, std::string(step) + ": " + what + (code ? std::string(" (") + strerror(code) + ")" : ""));
  e.Set("step", Napi::String::New(env, step));
  e.Set("errno", Napi::Number::New(env, code));
  return e;
}

struct Batch {
  std::vector<uint8_t> *bytes;
};

class Capture : public Napi::ObjectWrap<Capture> {
 public:
  static Napi::Function Init(Napi::Env env) {
    return DefineClass(env, "Capture", {
      InstanceMethod("open", &Capture::Open),
      InstanceMethod("configure", &Capture::Configure),
      InstanceMethod("load", &Capture::Load),
      InstanceMethod("attach", &Capture::Attach),
      InstanceMethod("setSelection", &Capture::SetSelection),
      InstanceMethod("start", &Capture::Start),
      InstanceMethod("stop", &Capture::Stop),
      InstanceMethod("stats", &Capture::Stats),
      InstanceMethod("close", &Capture::Close),
    });
  }

  explicit Capture(const Napi::CallbackInfo &info) : Napi::ObjectWrap<Capture>(info) {}
  ~Capture() override { Cleanup(); }

 private:
  bpf_object *obj_ = nullptr;
  std::vector<bpf_link *> links_;
  ring_buffer *ring_ = nullptr;
  std::thread thread_;
  std::atomic<bool> running_{false};
  Napi::ThreadSafeFunction tsfn_;
  std::vector<uint8_t> *pending_ = nullptr;
  size_t batch_bytes_ = 1 << 20;
  int poll_ms_ = 20;
  int ring_fd_ = -1;
  size_t wakeup_bytes_ = 1 << 20;

  Napi::Value Open(const Napi::CallbackInfo &info) {
    std::string path = info[0].As<Napi::String>();
    obj_ = bpf_object__open_file(path.c_str(), nullptr);
    int err = libbpf_get_error(obj_);
    if (err) {
      obj_ = nullptr;
      throw StepError(info.Env(), "open", err, "cannot open BPF object " + path);
    }
    return info.Env().Undefined();
  }

  // { ringBytes, wakeupBytes, ownTgid, captureEnv, argsMax, envMax }
  Napi::Value Configure(const Napi::CallbackInfo &info) {
    auto env = info.Env();
    auto o = info[0].As<Napi::Object>();
    bpf_map *rb = bpf_object__find_map_by_name(obj_, "rb");
    bpf_map *ro = bpf_object__find_map_by_name(obj_, ".rodata");
    if (!rb || !ro) throw StepError(env, "configure", ENOENT, "object lacks the rb or .rodata map");
    int err = bpf_map__set_max_entries(rb, o.Get("ringBytes").As<Napi::Number>().Uint32Value());
    if (err) throw StepError(env, "configure", err, "ring size (must be a power of 2 pages)");
    size_t size = 0;
    // libbpf 1.1 returns the mmaped, still writable .rodata image as const before load.
    auto *cfg = static_cast<pg_config *>(const_cast<void *>(bpf_map__initial_value(ro, &size)));
    if (!cfg || size < sizeof(pg_config)) throw StepError(env, "configure", EINVAL, ".rodata is smaller than pg_config");
    cfg->own_tgid = o.Get("ownTgid").As<Napi::Number>().Uint32Value();
    cfg->capture_env = o.Get("captureEnv").ToBoolean() ? 1 : 0;
    cfg->wakeup_bytes = o.Get("wakeupBytes").As<Napi::Number>().Int64Value();
    wakeup_bytes_ = cfg->wakeup_bytes;
    cfg->args_max = o.Get("argsMax").As<Napi::Number>().Uint32Value();
    cfg->env_max = o.Get("envMax").As<Napi::Number>().Uint32Value();
    return env.Undefined();
  }

  Napi::Value Load(const Napi::CallbackInfo &info) {
    int err = bpf_object__load(obj_);
    if (err) throw StepError(info.Env(), "load", err, "the kernel refused the BPF object");
    return info.Env().Undefined();
  }

  Napi::Value Attach(const Napi::CallbackInfo &info) {
    bpf_program *prog;
    bpf_object__for_each_program(prog, obj_) {
      bpf_link *link = bpf_program__attach(prog);
      int err = libbpf_get_error(link);
      if (err) throw StepError(info.Env(), "attach", err, std::string("cannot attach ") + bpf_program__name(prog));
      links_.push_back(link);
    }
    return info.Env().Undefined();
  }

  // A Buffer of PG_MAX_SYSCALLS pg_sc_spec entries.
  Napi::Value SetSelection(const Napi::CallbackInfo &info) {
    auto buf = info[0].As<Napi::Buffer<uint8_t>>();
    if (buf.Length() != PG_MAX_SYSCALLS * sizeof(pg_sc_spec))
      throw StepError(info.Env(), "select", EINVAL, "selection buffer has the wrong size");
    int fd = bpf_object__find_map_fd_by_name(obj_, "selection");
    for (__u32 nr = 0; nr < PG_MAX_SYSCALLS; nr++) {
      int err = bpf_map_update_elem(fd, &nr, buf.Data() + nr * sizeof(pg_sc_spec), BPF_ANY);
      if (err) throw StepError(info.Env(), "select", errno, "cannot update the selection map");
    }
    return info.Env().Undefined();
  }

  static int OnRecord(void *ctx, void *data, size_t len) {
    auto *self = static_cast<Capture *>(ctx);
    if (!self->pending_) {
      self->pending_ = new std::vector<uint8_t>();
      self->pending_->reserve(self->batch_bytes_ + 32768);
    }
    auto *p = self->pending_;
    size_t at = p->size();
    p->resize(at + ((len + 7) & ~size_t(7)));
    memcpy(p->data() + at, data, len);
    // A negative return stops this consume() after this record (libbpf has already consumed it): a capped batch.
    return p->size() >= self->batch_bytes_ ? -E2BIG : 0;
  }

  void Flush() {
    if (!pending_ || pending_->empty()) return;
    auto *batch = pending_;
    pending_ = nullptr;
    // Blocking: when JS falls behind, the ring fills and the kernel counts the drops, per CPU.
    napi_status st = tsfn_.BlockingCall(batch, [](Napi::Env env, Napi::Function fn, std::vector<uint8_t> *b) {
      auto buf = Napi::Buffer<uint8_t>::New(env, b->data(), b->size(), [](Napi::Env, uint8_t *, std::vector<uint8_t> *v) { delete v; }, b);
      fn.Call({buf});
    });
    if (st != napi_ok) delete batch;
  }

  // Records are written without wakeups. Waiting with a level-triggered poll would return at once whenever any
  // record is waiting and spin this thread; an edge-triggered epoll returns only on the kernel's forced wakeup
  // (ring past the fill threshold) or after poll_ms, the timed drain.
  void Drain() {
    int ep = epoll_create1(EPOLL_CLOEXEC);
    epoll_event want{};
    want.events = EPOLLIN | EPOLLET;
    epoll_ctl(ep, EPOLL_CTL_ADD, ring_fd_, &want);
    while (running_.load()) {
      size_t drained = 0;
      for (;;) {
        int n = ring_buffer__consume(ring_);
        drained += pending_ ? pending_->size() : 0;
        Flush();
        if (n != -E2BIG) break;
      }
      if (drained >= wakeup_bytes_) continue;  // busy: drain again straight away
      epoll_event got;
      epoll_wait(ep, &got, 1, poll_ms_);
    }
    close(ep);
  }

  // start(onBatch, { batchBytes, pollMs })
  Napi::Value Start(const Napi::CallbackInfo &info) {
    auto env = info.Env();
    auto opts = info[1].As<Napi::Object>();
    batch_bytes_ = opts.Get("batchBytes").As<Napi::Number>().Uint32Value();
    poll_ms_ = opts.Get("pollMs").As<Napi::Number>().Int32Value();
    int fd = bpf_object__find_map_fd_by_name(obj_, "rb");
    ring_fd_ = fd;
    ring_ = ring_buffer__new(fd, &Capture::OnRecord, this, nullptr);
    if (!ring_) throw StepError(env, "drain", errno, "cannot set up the ring buffer consumer");
    tsfn_ = Napi::ThreadSafeFunction::New(env, info[0].As<Napi::Function>(), "peregrine-capture-drain", 8, 1);
    running_ = true;
    thread_ = std::thread([this] { Drain(); });
    return env.Undefined();
  }

  // Called on the JS thread, which is what a BlockingCall waits for: abort the TSFN first so a drain thread blocked
  // on a full queue returns (napi_closing) instead of deadlocking the join.
  void StopThread() {
    if (!running_.exchange(false)) return;
    tsfn_.Abort();
    if (thread_.joinable()) thread_.join();
  }

  Napi::Value Stop(const Napi::CallbackInfo &info) {
    StopThread();
    return info.Env().Undefined();
  }

  // { drops: number[] per CPU }
  Napi::Value Stats(const Napi::CallbackInfo &info) {
    auto env = info.Env();
    auto out = Napi::Object::New(env);
    int ncpu = libbpf_num_possible_cpus();
    std::vector<__u64> vals(ncpu > 0 ? ncpu : 1);
    __u32 zero = 0;
    auto drops = Napi::Array::New(env);
    if (obj_ && bpf_map_lookup_elem(bpf_object__find_map_fd_by_name(obj_, "drops"), &zero, vals.data()) == 0) {
      for (size_t i = 0; i < vals.size(); i++) drops.Set(i, Napi::Number::New(env, double(vals[i])));
    }
    out.Set("drops", drops);
    return out;
  }

  void Cleanup() {
    StopThread();
    if (ring_) ring_buffer__free(ring_);
    ring_ = nullptr;
    for (auto *l : links_) bpf_link__destroy(l);
    links_.clear();
    if (obj_) bpf_object__close(obj_);
    obj_ = nullptr;
    delete pending_;
    pending_ = nullptr;
  }

  Napi::Value Close(const Napi::CallbackInfo &info) {
    Cleanup();
    return info.Env().Undefined();
  }
};

// The 22nd field of /proc/<pid>/stat: start time in clock ticks since boot; -1 if the process is gone.
long long StartTicks(int pid) {
  std::ifstream f("/proc/" + std::to_string(pid) + "/stat");
  std::string s((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  auto close = s.rfind(')');
  if (close == std::string::npos) return -1;
  size_t pos = close + 2;
  for (int field = 3; field < 22; field++) {
    pos = s.find(' ', pos);
    if (pos == std::string::npos) return -1;
    pos++;
  }
  return std::stoll(s.substr(pos));
}

// killIfStartMatches(pid, startTicks, signal) → 'killed' | 'gone' | 'reused'. The pidfd pins the process between
// the start-time check and the signal, so a reused pid is never hit.
Napi::Value KillIfStartMatches(const Napi::CallbackInfo &info) {
  auto env = info.Env();
  int pid = info[0].As<Napi::Number>().Int32Value();
  long long want = info[1].As<Napi::Number>().Int64Value();
  int sig = info[2].As<Napi::Number>().Int32Value();
  int pidfd = syscall(SYS_pidfd_open, pid, 0);
  if (pidfd < 0) return Napi::String::New(env, "gone");
  long long have = StartTicks(pid);
  const char *result = "reused";
  if (have == want) result = syscall(SYS_pidfd_send_signal, pidfd, sig, nullptr, 0) == 0 ? "killed" : "gone";
  else if (have < 0) result = "gone";
  close(pidfd);
  return Napi::String::New(env, result);
}

}  // namespace

Napi::Object InitAll(Napi::Env env, Napi::Object exports) {
  exports.Set("Capture", Capture::Init(env));
  exports.Set("killIfStartMatches", Napi::Function::New(env, KillIfStartMatches));
  exports.Set("abiVersion", Napi::Number::New(env, PG_ABI_VERSION));
  return exports;
}

NODE_API_MODULE(capture_addon, InitAll)
