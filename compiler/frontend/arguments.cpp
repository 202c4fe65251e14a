#include "frontend/arguments.hpp"

#include "support/suggest.hpp"

namespace anec::frontend {

namespace {
std::string expectedCount(const std::string& callee, const std::vector<ParamSpec>& params,
                          size_t given) {
    size_t required = 0;
    for (const ParamSpec& p : params)
        required += p.required;
    std::string count = required == params.size()
                            ? std::to_string(params.size())
                            : std::to_string(required) + " to " + std::to_string(params.size());
    return callee + " expects " + count + " argument" +
           (params.size() == 1 && required == 1 ? "" : "s") + ", got " + std::to_string(given);
}
} // namespace

std::optional<BoundArguments> bindArguments(const std::string& callee,
                                            const std::vector<ParamSpec>& params,
                                            const std::vector<ast::Argument>& args,
                                            SourceLoc callLoc, Reporter& reporter) {
    BoundArguments bound(params.size(), nullptr);
    bool ok = true;
    if (args.size() > params.size()) {
        reporter.error(callLoc, expectedCount(callee, params, args.size()));
        return std::nullopt;
    }
    size_t position = 0;
    bool sawKeyword = false;
    for (const ast::Argument& arg : args) {
        if (arg.keyword.empty()) {
            if (sawKeyword) {
                reporter.error(arg.loc, "positional argument after a keyword argument");
                ok = false;
                continue;
            }
            bound[position++] = &arg;
            continue;
        }
        sawKeyword = true;
        size_t index = 0;
        while (index < params.size() && params[index].name != arg.keyword)
            ++index;
        if (index == params.size()) {
            std::vector<std::string> names;
            for (const ParamSpec& param : params)
                names.push_back(param.name);
            reporter.error(arg.loc, "unknown keyword argument '" + arg.keyword + "' for " + callee +
                                        didYouMean(arg.keyword, names));
            ok = false;
        } else if (bound[index]) {
            reporter.error(arg.loc,
                           "argument '" + arg.keyword + "' of " + callee + " is given twice");
            ok = false;
        } else {
            bound[index] = &arg;
        }
    }
    if (!ok) return std::nullopt;
    bool allPositional = !sawKeyword;
    for (size_t i = 0; i < params.size(); ++i) {
        if (bound[i] || !params[i].required) continue;
        if (allPositional)
            reporter.error(callLoc, expectedCount(callee, params, args.size()));
        else
            reporter.error(callLoc, callee + " is missing argument '" + params[i].name + "'");
        return std::nullopt;
    }
    for (const ast::Argument* arg : bound)
        if (arg && !arg->value) return std::nullopt; // a parse error already reported
    return bound;
}

} // namespace anec::frontend
