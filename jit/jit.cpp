// clang (cc1, in process) -> optimized IR -> object file -> ORC LLJIT. Both the compile path and
// the cache path hand an object file to ORC, so what the cache stores is exactly what runs.
#include "jit/jit.h"

#include <clang/Basic/Diagnostic.h>
#include <clang/Basic/DiagnosticOptions.h>
#include <clang/CodeGen/CodeGenAction.h>
#include <clang/Frontend/CompilerInstance.h>
#include <clang/Frontend/CompilerInvocation.h>
#include <clang/Frontend/TextDiagnosticPrinter.h>
#include <llvm/ADT/SmallVector.h>
#include <llvm/ExecutionEngine/Orc/Core.h>
#include <llvm/ExecutionEngine/Orc/ExecutionUtils.h>
#include <llvm/ExecutionEngine/Orc/JITTargetMachineBuilder.h>
#include <llvm/ExecutionEngine/Orc/LLJIT.h>
#include <llvm/ExecutionEngine/Orc/ObjectFileInterface.h>
#include <llvm/IR/Constants.h>
#include <llvm/IR/DerivedTypes.h>
#include <llvm/IR/Function.h>
#include <llvm/IR/GlobalVariable.h>
#include <llvm/IR/IRBuilder.h>
#include <llvm/IR/LLVMContext.h>
#include <llvm/IR/LegacyPassManager.h>
#include <llvm/IR/Module.h>
#include <llvm/Support/MemoryBuffer.h>
#include <llvm/Support/TargetSelect.h>
#include <llvm/Support/VirtualFileSystem.h>
#include <llvm/Support/raw_ostream.h>
#include <llvm/Target/TargetMachine.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <thread>
#include <map>
#include <mutex>
#include <optional>

#include "jit/object_cache.h"

#ifndef TRINE_CLANG_RESOURCE_DIR
#error "TRINE_CLANG_RESOURCE_DIR must name clang's resource directory (CMake passes it)"
#endif

namespace trine::jit {
namespace {

// Headers and the main file live under this directory, which exists only in the in-memory
// file system clang reads through.
constexpr const char* kVirtualRoot = "/trine-virtual";
// Debian's multiarch directory for the system headers of the architecture trine runs on.
#if defined(__aarch64__)
constexpr const char* kMultiarch = "aarch64-linux-gnu";
#else
constexpr const char* kMultiarch = "x86_64-linux-gnu";
#endif
// Global constructors/destructors are turned into these functions before codegen, because ORC
// does not run an object file's .init_array/.fini_array without a platform runtime.
constexpr const char* kInitFn = "__trine_module_init";
constexpr const char* kFiniFn = "__trine_module_fini";
// Bumped when the object's layout or the IR lowering changes, so old cache entries stop matching.
constexpr const char* kObjectFormat = "trine-jit-object-2";

void init_llvm_once() {
  static std::once_flag once;
  std::call_once(once, [] {
    llvm::InitializeNativeTarget();
    llvm::InitializeNativeTargetAsmPrinter();
  });
}

std::string message_of(llvm::Error err) { return llvm::toString(std::move(err)); }

// Static objects with destructors register them with __cxa_atexit(fn, arg, &__dso_handle). In the
// JIT they must run when the module is removed, not at process exit when the code is gone, so each
// module's JITDylib routes __cxa_atexit here and the module's own __dso_handle tells them apart.
struct AtExitEntry {
  const void* dso;
  void (*fn)(void*);
  void* arg;
};
struct AtExitRegistry {
  std::mutex mu;
  std::vector<AtExitEntry> entries;
};
// Never destroyed: a Jit that is itself a static may be torn down after this TU's statics.
AtExitRegistry& atexit_registry() {
  static auto* registry = new AtExitRegistry;
  return *registry;
}

int module_cxa_atexit(void (*fn)(void*), void* arg, void* dso) {
  AtExitRegistry& r = atexit_registry();
  std::lock_guard<std::mutex> lock(r.mu);
  r.entries.push_back({dso, fn, arg});
  return 0;
}

void run_atexits(const void* dso) {
  if (!dso) return;
  std::vector<AtExitEntry> mine;
  {
    AtExitRegistry& r = atexit_registry();
    std::lock_guard<std::mutex> lock(r.mu);
    auto split = std::stable_partition(r.entries.begin(), r.entries.end(),
                                       [&](const AtExitEntry& e) { return e.dso != dso; });
    mine.assign(split, r.entries.end());
    r.entries.erase(split, r.entries.end());
  }
  for (auto it = mine.rbegin(); it != mine.rend(); ++it) it->fn(it->arg);
}

// Replaces the named llvm.global_ctors/dtors list by one external function calling its entries in
// priority order (constructors: ascending; destructors: clang orders them for execution already).
void lower_structor_list(llvm::Module& m, const char* list_name, const char* fn_name) {
  llvm::GlobalVariable* list = m.getNamedGlobal(list_name);
  if (!list) return;
  std::vector<std::pair<uint64_t, llvm::Constant*>> entries;
  if (list->hasInitializer()) {
    if (auto* arr = llvm::dyn_cast<llvm::ConstantArray>(list->getInitializer())) {
      for (llvm::Value* op : arr->operands()) {
        auto* entry = llvm::dyn_cast<llvm::ConstantStruct>(op);
        if (!entry || entry->getNumOperands() < 2) continue;
        auto* prio = llvm::dyn_cast<llvm::ConstantInt>(entry->getOperand(0));
        llvm::Constant* fn = entry->getOperand(1);
        if (fn->isNullValue()) continue;
        entries.emplace_back(prio ? prio->getZExtValue() : 65535, fn);
      }
    }
  }
  std::stable_sort(entries.begin(), entries.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  list->eraseFromParent();
  if (entries.empty()) return;

  llvm::LLVMContext& ctx = m.getContext();
  auto* void_fn_ty = llvm::FunctionType::get(llvm::Type::getVoidTy(ctx), false);
  auto* fn = llvm::Function::Create(void_fn_ty, llvm::GlobalValue::ExternalLinkage, fn_name, m);
  llvm::IRBuilder<> b(llvm::BasicBlock::Create(ctx, "entry", fn));
  for (auto& [prio, callee] : entries) {
    llvm::Value* target = callee->stripPointerCasts();
    if (auto* f = llvm::dyn_cast<llvm::Function>(target)) {
      b.CreateCall(f->getFunctionType(), f);
    } else {
      b.CreateCall(void_fn_ty, b.CreateBitCast(callee, void_fn_ty->getPointerTo()));
    }
  }
  b.CreateRetVoid();
}

// clang refers to __dso_handle as a hidden symbol that the static linker would normally provide.
// Defining it inside the module keeps the PC-relative reference within the JIT's code and gives
// every module a distinct handle.
void define_dso_handle(llvm::Module& m) {
  llvm::GlobalVariable* handle = m.getNamedGlobal("__dso_handle");
  if (!handle || !handle->isDeclaration()) return;
  handle->setInitializer(llvm::Constant::getNullValue(handle->getValueType()));
  handle->setLinkage(llvm::GlobalValue::ExternalLinkage);
  handle->setVisibility(llvm::GlobalValue::HiddenVisibility);
  handle->setDSOLocal(true);
}

std::string sanitize(const std::string& name) {
  std::string out;
  for (char c : name) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
              c == '-' || c == '.';
    out.push_back(ok ? c : '_');
  }
  if (out.empty()) out = "module";
  return out;
}

std::string join_path(const std::string& dir, const std::string& rel) {
  if (!rel.empty() && rel[0] == '/') return rel;
  return dir + "/" + rel;
}

struct LoadedModule {
  std::string name;
  llvm::orc::JITDylib* jd = nullptr;
  const void* dso = nullptr;
  void (*fini)() = nullptr;
};

}  // namespace

struct Jit::Impl {
  Target target;
  detail::ObjectCache cache;
  Counters counters;
  std::vector<std::string> cc1_flags;  // everything but the input file
  std::string flags_key;               // cc1 flags + codegen settings, for the cache key
  std::unique_ptr<llvm::TargetMachine> tm;
  std::optional<llvm::orc::JITTargetMachineBuilder> jtmb;  // a TargetMachine per compile thread
  std::unique_ptr<llvm::orc::LLJIT> lljit;
  llvm::orc::JITDylib* process = nullptr;
  std::map<ModuleId, LoadedModule> modules;
  std::map<std::string, ModuleId> foreign;  // add_object's modules by cache key: each loaded once
  ModuleId next_id = 1;
  std::string session_errors;  // what ORC reported while linking, for the next error message

  Impl(Target t, std::string cache_dir) : target(std::move(t)), cache(std::move(cache_dir)) {}

  void build_flags();
  std::string cache_key(const std::string& name, const std::string& source,
                        const std::vector<SourceFile>& headers) const;
  std::string compile(llvm::TargetMachine& tm, const std::string& name, const std::string& source,
                      const std::vector<SourceFile>& headers);
  std::unique_ptr<llvm::TargetMachine> make_tm() const;
  ModuleId load(const std::string& key, const std::string& name, const std::string& object);
  // The cached object for key, linked, or nothing: missing, corrupt, or no longer linking (e.g.
  // the process lost a symbol it used), in which case the caller rebuilds it.
  std::optional<ModuleId> load_cached(const std::string& key, const std::string& name);
  // Runs build() (clang, or another compiler), counted as one compile with its time, failed or not.
  std::string timed_build(const std::function<std::string()>& build);
  LoadedModule link(ModuleId id, const std::string& name, const std::string& object);
  void unload(LoadedModule& m);
};

void Jit::Impl::build_flags() {
  const std::string res = TRINE_CLANG_RESOURCE_DIR;
  std::vector<std::string>& f = cc1_flags;
  f = {"-cc1", "-triple", target.triple, "-target-cpu", target.cpu};
  for (const std::string& feat : target.features) {
    f.push_back("-target-feature");
    f.push_back(feat);
  }
  // The kernels' float epilogue must match the reference bit for bit: no FMA contraction.
  // cc1 leaves out what the driver adds at -O3 (vectorizers, __GNUC__ for libstdc++), so say it.
  // PIE-style PIC keeps own definitions dso_local (inlinable, direct calls) while external data
  // goes through the GOT, which works wherever ORC places the code relative to libc.
  // -fmath-errno is deliberately absent: rint/sqrt stay vectorizable and no kernel reads errno.
  for (const char* s : {"-O3", "-std=c++20", "-ffp-contract=off", "-vectorize-loops", "-vectorize-slp",
                        "-fgnuc-version=4.2.1", "-mrelocation-model", "pic", "-pic-level", "2", "-pic-is-pie",
                        "-mconstructor-aliases", "-discard-value-names", "-ferror-limit", "20"})
    f.emplace_back(s);
  f.insert(f.end(), {"-resource-dir", res});
  const std::string multiarch = kMultiarch;
  for (const std::string& dir : {std::string("/usr/include/c++/12"), "/usr/include/" + multiarch + "/c++/12",
                                 std::string("/usr/include/c++/12/backward")})
    f.insert(f.end(), {"-internal-isystem", dir});
  f.insert(f.end(), {"-internal-isystem", res + "/include"});
  for (const std::string& dir : {"/usr/include/" + multiarch, std::string("/usr/include")})
    f.insert(f.end(), {"-internal-externc-isystem", dir});
  f.insert(f.end(), {"-I", kVirtualRoot, "-x", "c++"});

  flags_key.clear();
  for (const std::string& s : f) flags_key += s + '\n';
  flags_key += "codegen: O3 pic small-code-model objfile\n";
}

std::string Jit::Impl::cache_key(const std::string& name, const std::string& source,
                                 const std::vector<SourceFile>& headers) const {
  detail::KeyHasher h;
  h.field(kObjectFormat);
  h.field(compiler_version());
  h.field(target.key());
  h.field(flags_key);
  // The name becomes the main file's path, which __FILE__ and diagnostics can see.
  h.field(name);
  h.field(source);
  // Sorted so the caller's header order doesn't split the cache; a repeated path keeps its last
  // text, which is the one clang sees.
  std::map<std::string, const std::string*> sorted;
  for (const SourceFile& s : headers) sorted[s.path] = &s.text;
  for (const auto& [path, text] : sorted) {
    h.field(path);
    h.field(*text);
  }
  return h.hex();
}

std::unique_ptr<llvm::TargetMachine> Jit::Impl::make_tm() const {
  llvm::orc::JITTargetMachineBuilder builder = *jtmb;  // a copy: threads may call this at once
  auto made = builder.createTargetMachine();
  if (!made) throw Error("JIT target " + target.key() + ": " + message_of(made.takeError()));
  return std::move(*made);
}

std::string Jit::Impl::compile(llvm::TargetMachine& tm, const std::string& name, const std::string& source,
                               const std::vector<SourceFile>& headers) {
  std::string diag_text;
  llvm::raw_string_ostream diag_os(diag_text);
  llvm::IntrusiveRefCntPtr<clang::DiagnosticOptions> diag_opts = new clang::DiagnosticOptions();
  diag_opts->ShowColors = false;
  auto printer = std::make_unique<clang::TextDiagnosticPrinter>(diag_os, diag_opts.get());
  auto fail = [&](const std::string& what) -> CompileError {
    diag_os.flush();
    std::string text = diag_text;
    if (!what.empty()) text += (text.empty() || text.back() == '\n' ? "" : "\n") + what;
    return CompileError(name, text);
  };

  const std::string main_path = std::string(kVirtualRoot) + "/" + sanitize(name) + ".cpp";
  std::vector<const char*> argv;
  for (const std::string& s : cc1_flags) argv.push_back(s.c_str());
  argv.push_back(main_path.c_str());
  argv.erase(argv.begin());  // CreateFromArgs takes the arguments after "-cc1"

  auto invocation = std::make_shared<clang::CompilerInvocation>();
  {
    clang::DiagnosticsEngine arg_diags(new clang::DiagnosticIDs(), diag_opts, printer.get(), false);
    if (!clang::CompilerInvocation::CreateFromArgs(*invocation, argv, arg_diags)) throw fail("invalid cc1 arguments");
  }
  // Keeps clang from printing "N errors generated." to stderr; our printer has its own options.
  invocation->getDiagnosticOpts().ShowCarets = false;
  invocation->getFrontendOpts().DisableFree = false;
  // The in-memory files sit in a file system layered over the real one rather than being remapped
  // one by one, because only a file system normalizes paths: a header's #include "../x.h" names
  // ".../sub/../x.h", which plain file remapping does not match. Later headers with the same path
  // replace earlier ones, as the cache key assumes.
  llvm::IntrusiveRefCntPtr<llvm::vfs::InMemoryFileSystem> memfs = new llvm::vfs::InMemoryFileSystem();
  memfs->addFile(main_path, 0, llvm::MemoryBuffer::getMemBufferCopy(source, main_path));
  std::map<std::string, const std::string*> files;
  for (const SourceFile& h : headers) files[join_path(kVirtualRoot, h.path)] = &h.text;
  for (const auto& [path, text] : files) memfs->addFile(path, 0, llvm::MemoryBuffer::getMemBufferCopy(*text, path));
  llvm::IntrusiveRefCntPtr<llvm::vfs::OverlayFileSystem> vfs =
      new llvm::vfs::OverlayFileSystem(llvm::vfs::getRealFileSystem());
  vfs->pushOverlay(memfs);

  llvm::LLVMContext ctx;
  std::unique_ptr<llvm::Module> module;
  {
    clang::CompilerInstance ci;
    ci.setInvocation(invocation);
    ci.createDiagnostics(printer.get(), false);
    if (!ci.hasDiagnostics()) throw fail("cannot create clang diagnostics");
    ci.createFileManager(vfs);
    clang::EmitLLVMOnlyAction action(&ctx);
    bool ok = ci.ExecuteAction(action);
    if (ok && !ci.getDiagnostics().hasErrorOccurred()) module = action.takeModule();
    if (!module) throw fail("");
  }

  lower_structor_list(*module, "llvm.global_ctors", kInitFn);
  lower_structor_list(*module, "llvm.global_dtors", kFiniFn);
  define_dso_handle(*module);
  module->setDataLayout(tm.createDataLayout());
  module->setTargetTriple(tm.getTargetTriple().str());

  llvm::SmallVector<char, 0> object;
  {
    llvm::raw_svector_ostream os(object);
    llvm::legacy::PassManager pm;
    if (tm.addPassesToEmitFile(pm, os, nullptr, llvm::CGFT_ObjectFile))
      throw fail("the target machine cannot emit object files");
    pm.run(*module);
  }
  return std::string(object.data(), object.size());
}

LoadedModule Jit::Impl::link(ModuleId id, const std::string& name, const std::string& object) {
  llvm::orc::ExecutionSession& es = lljit->getExecutionSession();
  auto buffer = llvm::MemoryBuffer::getMemBufferCopy(object, name);

  auto iface = llvm::orc::getObjectFileInterface(es, buffer->getMemBufferRef());
  if (!iface) throw CompileError(name, "not a loadable object: " + message_of(iface.takeError()));

  LoadedModule m;
  m.name = name;
  m.jd = &es.createBareJITDylib("trine.module." + std::to_string(id));
  auto drop = [&](const std::string& why) -> CompileError {
    if (llvm::Error e = es.removeJITDylib(*m.jd)) llvm::consumeError(std::move(e));
    std::string text = why;
    if (!session_errors.empty()) text += "\n" + session_errors;
    session_errors.clear();
    return CompileError(name, text);
  };

  m.jd->addToLinkOrder(*process);
  llvm::orc::SymbolMap overrides;
  overrides[es.intern("__cxa_atexit")] = llvm::JITEvaluatedSymbol(
      llvm::pointerToJITTargetAddress(&module_cxa_atexit),
      llvm::JITSymbolFlags::Exported | llvm::JITSymbolFlags::Callable);
  if (llvm::Error e = m.jd->define(llvm::orc::absoluteSymbols(std::move(overrides))))
    throw drop("defining runtime symbols: " + message_of(std::move(e)));
  if (llvm::Error e = lljit->addObjectFile(*m.jd, std::move(buffer)))
    throw drop("adding the object: " + message_of(std::move(e)));

  // Looking up every definition links the object now, so an unresolved reference is reported by
  // add() as a compile error rather than by some later lookup().
  llvm::orc::SymbolLookupSet wanted;
  for (auto& [sym, flags] : iface->SymbolFlags) {
    if (sym == iface->InitSymbol) continue;
    wanted.add(sym, llvm::orc::SymbolLookupFlags::WeaklyReferencedSymbol);
  }
  if (wanted.empty()) return m;
  session_errors.clear();
  auto found = es.lookup(llvm::orc::makeJITDylibSearchOrder(m.jd, llvm::orc::JITDylibLookupFlags::MatchAllSymbols),
                         wanted);
  if (!found) throw drop("linking: " + message_of(found.takeError()));

  auto address_of = [&](const char* sym) -> llvm::JITTargetAddress {
    auto it = found->find(es.intern(sym));
    return it == found->end() ? 0 : it->second.getAddress();
  };
  m.dso = llvm::jitTargetAddressToPointer<const void*>(address_of("__dso_handle"));
  m.fini = llvm::jitTargetAddressToPointer<void (*)()>(address_of(kFiniFn));
  if (auto init = llvm::jitTargetAddressToPointer<void (*)()>(address_of(kInitFn))) init();
  return m;
}

void Jit::Impl::unload(LoadedModule& m) {
  // Destructors registered at run time were registered after the static ones ran their
  // constructors, so they go first, as at process exit.
  run_atexits(m.dso);
  if (m.fini) m.fini();
  m.fini = nullptr;
  m.dso = nullptr;
  if (m.jd) {
    llvm::orc::JITDylib* jd = m.jd;
    m.jd = nullptr;
    if (llvm::Error e = lljit->getExecutionSession().removeJITDylib(*jd))
      throw Error("removing JIT module " + m.name + ": " + message_of(std::move(e)));
  }
}

Jit::Jit(Target target, std::string cache_dir) : impl_(std::make_unique<Impl>(std::move(target), std::move(cache_dir))) {
  init_llvm_once();
  Impl& I = *impl_;
  I.build_flags();

  llvm::orc::JITTargetMachineBuilder jtmb{llvm::Triple(I.target.triple)};
  jtmb.setCPU(I.target.cpu)
      .addFeatures(I.target.features)
      .setCodeGenOptLevel(llvm::CodeGenOpt::Aggressive)
      .setRelocationModel(llvm::Reloc::PIC_)
      .setCodeModel(llvm::CodeModel::Small);
  I.jtmb = jtmb;
  I.tm = I.make_tm();

  // No platform: this JIT only loads objects whose initializers were lowered by compile().
  auto jit = llvm::orc::LLJITBuilder()
                 .setJITTargetMachineBuilder(std::move(jtmb))
                 .setPlatformSetUp(llvm::orc::setUpInactivePlatform)
                 .create();
  if (!jit) throw Error("creating the JIT: " + message_of(jit.takeError()));
  I.lljit = std::move(*jit);

  llvm::orc::ExecutionSession& es = I.lljit->getExecutionSession();
  Impl* self = impl_.get();
  es.setErrorReporter([self](llvm::Error e) {
    if (!self->session_errors.empty()) self->session_errors += "\n";
    self->session_errors += message_of(std::move(e));
  });
  I.process = &es.createBareJITDylib("trine.process");
  auto gen = llvm::orc::DynamicLibrarySearchGenerator::GetForCurrentProcess(I.lljit->getDataLayout().getGlobalPrefix());
  if (!gen) throw Error("resolving process symbols: " + message_of(gen.takeError()));
  I.process->addGenerator(std::move(*gen));
}

Jit::~Jit() {
  if (!impl_) return;
  // Newest first, like static destruction order.
  for (auto it = impl_->modules.rbegin(); it != impl_->modules.rend(); ++it) {
    try {
      impl_->unload(it->second);
    } catch (const std::exception&) {
      // Nothing useful to do with a failure while tearing down.
    }
  }
  impl_->modules.clear();
  impl_->lljit.reset();
}

const Target& Jit::target() const { return impl_->target; }
const Counters& Jit::counters() const { return impl_->counters; }

ModuleId Jit::add(const std::string& name, const std::string& source, const std::vector<SourceFile>& headers) {
  Impl& I = *impl_;
  const std::string key = I.cache_key(name, source, headers);
  if (std::optional<ModuleId> id = I.load_cached(key, name)) return *id;
  // If the fresh object fails to link too, that error is the one reported.
  return I.load(key, name, I.timed_build([&] { return I.compile(*I.tm, name, source, headers); }));
}

ModuleId Jit::add_object(const std::string& name, const std::vector<std::string>& key_fields,
                         const std::function<std::string()>& make) {
  Impl& I = *impl_;
  detail::KeyHasher h;
  h.field("foreign object");
  for (const std::string& f : key_fields) h.field(f);
  const std::string key = h.hex();
  if (auto loaded = I.foreign.find(key); loaded != I.foreign.end() && I.modules.count(loaded->second))
    return loaded->second;
  if (std::optional<ModuleId> id = I.load_cached(key, name)) return I.foreign[key] = *id;
  std::string object;
  try {
    object = I.timed_build(make);
  } catch (const CompileError&) {
    throw;
  } catch (const std::exception& e) {
    throw CompileError(name, e.what());
  }
  return I.foreign[key] = I.load(key, name, object);
}

std::optional<ModuleId> Jit::Impl::load_cached(const std::string& key, const std::string& name) {
  std::optional<std::string> cached = cache.load(key);
  if (!cached) return std::nullopt;
  const ModuleId id = next_id++;
  try {
    modules.emplace(id, link(id, name, *cached));
  } catch (const CompileError&) {
    return std::nullopt;
  }
  ++counters.cache_hits;
  return id;
}

std::string Jit::Impl::timed_build(const std::function<std::string()>& build) {
  struct Count {
    Counters& c;
    std::chrono::steady_clock::time_point start = std::chrono::steady_clock::now();
    ~Count() {
      c.compile_seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      ++c.compiles;
    }
  } count{counters};
  return build();
}

ModuleId Jit::Impl::load(const std::string& key, const std::string& name, const std::string& object) {
  const ModuleId id = next_id++;
  LoadedModule m = link(id, name, object);
  cache.store(key, object);
  modules.emplace(id, std::move(m));
  return id;
}

std::vector<Jit::Added> Jit::add_all(const std::vector<Unit>& units, int threads) {
  Impl& I = *impl_;
  std::vector<Added> out(units.size());
  std::vector<std::string> keys(units.size());
  std::vector<std::size_t> misses;
  for (std::size_t i = 0; i < units.size(); ++i) {
    const Unit& u = units[i];
    keys[i] = I.cache_key(u.name, u.source, *u.headers);
    if (std::optional<ModuleId> id = I.load_cached(keys[i], u.name)) {
      out[i].id = *id;
      continue;
    }
    misses.push_back(i);
  }
  // clang and codegen are the slow part and independent per unit: each thread has its own
  // LLVMContext and TargetMachine. Linking into the one JIT stays on this thread.
  std::vector<std::string> objects(units.size());
  std::atomic<std::size_t> next{0};
  auto worker = [&] {
    std::unique_ptr<llvm::TargetMachine> tm;
    try {
      tm = I.make_tm();
    } catch (const std::exception& e) {
      for (std::size_t k; (k = next++) < misses.size();) out[misses[k]].error = e.what();
      return;
    }
    for (std::size_t k; (k = next++) < misses.size();) {
      const Unit& u = units[misses[k]];
      try {
        objects[misses[k]] = I.compile(*tm, u.name, u.source, *u.headers);
      } catch (const std::exception& e) {
        out[misses[k]].error = e.what();
      }
    }
  };
  const auto start = std::chrono::steady_clock::now();
  const int n = std::max(1, std::min<int>(threads, static_cast<int>(misses.size())));
  std::vector<std::thread> pool;
  for (int t = 1; t < n; ++t) pool.emplace_back(worker);
  worker();
  for (std::thread& t : pool) t.join();
  I.counters.compile_seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  I.counters.compiles += misses.size();
  for (std::size_t i : misses) {
    if (!out[i].error.empty()) continue;
    try {
      out[i].id = I.load(keys[i], units[i].name, objects[i]);
    } catch (const Error& e) {
      out[i].error = e.what();
    }
  }
  return out;
}

void* Jit::lookup(ModuleId module, const std::string& symbol) {
  Impl& I = *impl_;
  auto it = I.modules.find(module);
  if (it == I.modules.end()) throw Error("JIT lookup of " + symbol + ": no module " + std::to_string(module));
  llvm::orc::ExecutionSession& es = I.lljit->getExecutionSession();
  I.session_errors.clear();
  auto sym = es.lookup(llvm::orc::makeJITDylibSearchOrder(it->second.jd, llvm::orc::JITDylibLookupFlags::MatchAllSymbols),
                       es.intern(symbol));
  if (!sym) {
    std::string why = message_of(sym.takeError());
    I.session_errors.clear();
    throw Error("JIT module " + it->second.name + " has no symbol " + symbol + " (" + why + ")");
  }
  return llvm::jitTargetAddressToPointer<void*>(sym->getAddress());
}

void Jit::remove(ModuleId module) {
  Impl& I = *impl_;
  auto it = I.modules.find(module);
  if (it == I.modules.end()) throw Error("JIT remove: no module " + std::to_string(module));
  LoadedModule m = std::move(it->second);
  I.modules.erase(it);
  I.unload(m);
}

}  // namespace trine::jit
