#include "frontend/declarations.hpp"

#include "frontend/modules.hpp"
#include "support/suggest.hpp"

namespace anec::frontend {

LoopFrames::LoopFrames(Reporter& reporter, const LoopEnv& env)
    : reporter_(reporter), count_(env.size()) {
    for (const LoopVar& var : env)
        reporter_.pushFrame({var.loc, "in the iteration " + var.name + " = " +
                                          std::to_string(var.value) + " of this loop"});
}

LoopFrames::~LoopFrames() {
    for (size_t i = 0; i < count_; ++i)
        reporter_.popFrame();
}

bool checkAssertion(const ast::AssertStmt& assertion, SourceLoc loc, ConstEvaluator& evaluator,
                    const Scope* scope) {
    if (!assertion.cond) return false;
    auto holds = evaluator.evalCondition(*assertion.cond, scope);
    if (!holds) return false; // not a constant condition: reported
    if (*holds) return true;
    evaluator.reporter().error(loc, assertion.message.empty()
                                        ? std::string("assertion failed")
                                        : "assertion failed: " + assertion.message);
    return false;
}

std::optional<std::pair<int64_t, int64_t>> evalLoopRange(const ast::Range& range,
                                                         ConstEvaluator& evaluator,
                                                         const Scope* scope, SourceLoc loc) {
    if (!range.start || !range.stop) return std::nullopt;
    auto start = evaluator.evalInt(*range.start, scope);
    auto stop = evaluator.evalInt(*range.stop, scope);
    if (!start || !stop) return std::nullopt;
    if (*stop > *start && *stop - *start > kMaxLoopIterations) {
        evaluator.reporter().error(loc, "this loop has " + std::to_string(*stop - *start) +
                                            " iterations; the limit is " +
                                            std::to_string(kMaxLoopIterations));
        return std::nullopt;
    }
    return std::pair(*start, std::max(*start, *stop));
}

namespace {
const char* arrayKindName(ArrayEntry::Kind kind) {
    switch (kind) {
    case ArrayEntry::Kind::Weight:
        return "weight";
    case ArrayEntry::Kind::Kernel:
        return "kernel";
    case ArrayEntry::Kind::Fuse:
        return "fused kernel";
    case ArrayEntry::Kind::Grad:
        return "gradient kernel";
    }
    return "?";
}

class DeclarationCollector {
  public:
    DeclarationCollector(Module& module, Reporter& reporter)
        : module_(module), globals_(module.globals), reporter_(reporter),
          evaluator_(*module.evaluator) {}

    void collect() {
        for (const ast::Decl& decl : module_.program->decls)
            collectOne(decl);
    }

    void expand() {
        for (const ast::Decl& decl : module_.program->decls)
            expandOne(decl, {});
    }

  private:
    // Only the program itself declares weights, kernels and fused kernels: an imported file is
    // a library of constants and functions.
    bool allowedHere(SourceLoc loc, const char* what) {
        if (module_.isMain) return true;
        reporter_.error(loc, std::string("an imported file may only declare constants, "
                                         "functions, asserts and imports, not ") +
                                 what);
        return false;
    }

    void collectOne(const ast::Decl& decl) {
        if (const auto* c = decl.as<ast::ConstDecl>()) {
            if (defineGlobal(globals_, reporter_, c->name, c->loc))
                globals_.consts[c->name].decl = c;
        } else if (const auto* f = decl.as<ast::FnDecl>()) {
            if (defineGlobal(globals_, reporter_, f->name, f->loc))
                globals_.fns[f->name] = FnEntry{f, &module_};
        } else if (const auto* w = decl.as<ast::WeightDecl>()) {
            if (allowedHere(w->loc, "weights") && w->element.empty() &&
                defineGlobal(globals_, reporter_, w->name, w->loc))
                globals_.weights[w->name] = WeightEntry{w, {}, w->name, nullptr};
        } else if (const auto* k = decl.as<ast::KernelDecl>()) {
            if (allowedHere(k->loc, "kernels") && k->element.empty() &&
                defineGlobal(globals_, reporter_, k->name, k->loc))
                globals_.kernels[k->name] = KernelEntry{k, {}, k->name};
        } else if (const auto* u = decl.as<ast::FuseDecl>()) {
            if (allowedHere(u->loc, "fused kernels") && u->element.empty() &&
                defineGlobal(globals_, reporter_, u->name, u->loc))
                globals_.fusions[u->name] = FuseEntry{u, {}, u->name};
        } else if (const auto* g = decl.as<ast::GradDecl>()) {
            if (allowedHere(g->loc, "gradient kernels") && g->element.empty() &&
                defineGlobal(globals_, reporter_, g->name, g->loc))
                globals_.grads[g->name] = GradEntry{g, {}, g->name};
        } else if (const auto* t = decl.as<ast::TrainDecl>()) {
            if (allowedHere(t->loc, "training steps") &&
                defineGlobal(globals_, reporter_, t->name, t->loc))
                globals_.trains.push_back(TrainEntry{t});
        } else if (const auto* r = decl.as<ast::ForDecl>()) {
            allowedHere(r->var.loc, "loops ('for' generates weights and kernels)");
        }
    }

    void expandOne(const ast::Decl& decl, const LoopEnv& env) {
        if (const auto* w = decl.as<ast::WeightDecl>()) {
            expandNamed(*w, env, ArrayEntry::Kind::Weight, globals_.weights, globals_.weightOrder,
                        [&](const std::string& name) {
                            return WeightEntry{w, env, name, nullptr};
                        });
        } else if (const auto* k = decl.as<ast::KernelDecl>()) {
            expandNamed(*k, env, ArrayEntry::Kind::Kernel, globals_.kernels, globals_.kernelOrder,
                        [&](const std::string& name) {
                            return KernelEntry{k, env, name};
                        });
        } else if (const auto* u = decl.as<ast::FuseDecl>()) {
            expandNamed(*u, env, ArrayEntry::Kind::Fuse, globals_.fusions, globals_.fuseOrder,
                        [&](const std::string& name) {
                            return FuseEntry{u, env, name};
                        });
        } else if (const auto* g = decl.as<ast::GradDecl>()) {
            expandNamed(*g, env, ArrayEntry::Kind::Grad, globals_.grads, globals_.gradOrder,
                        [&](const std::string& name) {
                            return GradEntry{g, env, name};
                        });
        } else if (const auto* r = decl.as<ast::ForDecl>()) {
            if (module_.isMain) expandLoop(*r, env);
        } else if (const auto* a = decl.as<ast::AssertDecl>()) {
            Scope scope;
            bindLoopVars(scope, env);
            LoopFrames frames(reporter_, env);
            checkAssertion(a->assertion, a->loc, evaluator_, &scope);
        }
    }

    void expandLoop(const ast::ForDecl& loop, const LoopEnv& env) {
        Scope scope;
        bindLoopVars(scope, env);
        if (scope.find(loop.var.name) || globals_.defines(loop.var.name)) {
            reporter_.error(loop.var.loc, "'" + loop.var.name + "' is already defined");
            return;
        }
        auto range = evalLoopRange(loop.range, evaluator_, &scope, loop.var.loc);
        if (!range) return;
        for (int64_t value = range->first; value < range->second; ++value) {
            LoopEnv inner = env;
            inner.push_back({loop.var.name, value, loop.var.loc});
            for (const ast::Decl& decl : loop.body)
                expandOne(decl, inner);
        }
    }

    // A weight, kernel or fused kernel: a plain one (entered by collect()) has its order
    // recorded; an element of an array gets its entry, made by `makeEntry(entryName)`.
    template <typename Decl, typename Map, typename MakeEntry>
    void expandNamed(const Decl& decl, const LoopEnv& env, ArrayEntry::Kind kind, Map& map,
                     std::vector<std::string>& order, MakeEntry makeEntry) {
        if (!module_.isMain) return;
        if (decl.element.empty()) {
            if (env.empty())
                record(map, decl.name, order);
            else
                needsIndex(decl.loc, arrayKindName(kind), decl.name);
            return;
        }
        if (auto name = defineElement(kind, decl.name, decl.element, decl.loc, env)) {
            map[*name] = makeEntry(*name);
            order.push_back(*name);
        }
    }

    void needsIndex(SourceLoc loc, const char* kind, const std::string& name) {
        reporter_.error(loc, std::string("a ") + kind +
                                 " declared in a 'for' needs an index, as in '" + name +
                                 "[l]', so that each iteration declares its own");
    }

    // Plain declarations were entered by collect(); expansion only records their order.
    template <typename Map>
    void record(const Map& map, const std::string& name, std::vector<std::string>& order) {
        if (map.count(name) && !recorded_.count(name)) {
            recorded_.insert(name);
            order.push_back(name);
        }
    }

    // Registers `name[index]` (an element of an array of `kind`), returning its entry name.
    std::optional<std::string> defineElement(ArrayEntry::Kind kind, const std::string& name,
                                             const std::vector<ast::ExprPtr>& element,
                                             SourceLoc loc, const LoopEnv& env) {
        Scope scope;
        bindLoopVars(scope, env);
        LoopFrames frames(reporter_, env);
        auto index = evaluator_.evalIndex(element, &scope);
        if (!index) return std::nullopt;
        std::string shown = elementName(name, *index);
        auto array = globals_.arrays.find(name);
        if (array == globals_.arrays.end()) {
            if (!defineGlobal(globals_, reporter_, name, loc)) return std::nullopt;
            array = globals_.arrays.emplace(name, ArrayEntry{kind, loc, index->size(), {}}).first;
        } else if (array->second.kind != kind) {
            if (reporter_.error(loc, "'" + name + "' is already defined as an array of " +
                                         arrayKindName(array->second.kind) + "s"))
                reporter_.note(array->second.loc, "previous definition is here");
            return std::nullopt;
        } else if (array->second.rank != index->size()) {
            if (reporter_.error(loc, "'" + name + "' was declared with " +
                                         std::to_string(array->second.rank) + " indices, here " +
                                         std::to_string(index->size())))
                reporter_.note(array->second.loc, "previous definition is here");
            return std::nullopt;
        }
        if (array->second.elements.count(*index)) {
            reporter_.error(loc, "'" + shown + "' is already defined");
            return std::nullopt;
        }
        std::string entry = elementEntryName(name, *index);
        if (globals_.defines(entry)) {
            if (reporter_.error(loc, "'" + shown + "' is named '" + entry +
                                         "' in the build output, which is already defined"))
                reporter_.note(globals_.definitions.at(entry), "previous definition is here");
            return std::nullopt;
        }
        globals_.definitions.emplace(entry, loc);
        array->second.elements.emplace(*index, entry);
        return entry;
    }

    Module& module_;
    Globals& globals_;
    Reporter& reporter_;
    ConstEvaluator& evaluator_;
    std::set<std::string> recorded_;
};
} // namespace

void collectDeclarations(Module& module, Reporter& reporter) {
    DeclarationCollector(module, reporter).collect();
}

void expandDeclarations(Module& module, Reporter& reporter) {
    DeclarationCollector(module, reporter).expand();
}

} // namespace anec::frontend
