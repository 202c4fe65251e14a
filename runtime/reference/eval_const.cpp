// const: the value is converted to the compute type once, at prepare time, and shared by runs.
#include "runtime/reference/evaluator.hpp"
#include "runtime/reference/io_convert.hpp"

namespace anec::runtime::reference {

namespace {
template <typename T> Kernel prepareConst(const OpContext<T>& ctx) {
    if (!ctx.op().constData) ctx.error("has no value");
    Buffer value = importConst<T>(*ctx.op().constData);
    return [value](const Operands&, Results& results) { results[0] = value; };
}
} // namespace

template <typename T> void addConstEvaluators(EvaluatorTable<T>& table) {
    table["const"] = {prepareConst<T>, true};
}

ANEC_INSTANTIATE_EVALUATORS(addConstEvaluators);

} // namespace anec::runtime::reference
