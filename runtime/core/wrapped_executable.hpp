#pragma once
// The base of the executables Backend::prepare layers around a prepared kernel (packed I/O, host
// conversion, dynamic weights): each owns the executable it runs and presents its own inputs and
// outputs, translating them on the way in and out.
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "ir/packing.hpp"
#include "runtime/core/backend.hpp"

namespace anec::runtime {

inline std::vector<IoInfo> ioInfos(const std::vector<ir::InterfaceTensor>& tensors) {
    std::vector<IoInfo> infos;
    for (const ir::InterfaceTensor& tensor : tensors)
        infos.push_back({tensor.name, tensor.type});
    return infos;
}

class WrappedExecutable : public Executable {
  public:
    const std::vector<IoInfo>& inputs() const override { return inputs_; }
    const std::vector<IoInfo>& outputs() const override { return outputs_; }

  protected:
    WrappedExecutable(std::unique_ptr<Executable> program, std::string kernelName,
                      std::vector<IoInfo> inputs, std::vector<IoInfo> outputs)
        : program_(std::move(program)), kernelName_(std::move(kernelName)),
          inputs_(std::move(inputs)), outputs_(std::move(outputs)) {}
    // Presenting the inputs and outputs of the program itself.
    WrappedExecutable(std::unique_ptr<Executable> program, std::string kernelName)
        : program_(std::move(program)), kernelName_(std::move(kernelName)),
          inputs_(program_->inputs()), outputs_(program_->outputs()) {}

    // Declared before inputs_ and outputs_, which the second constructor copies from it.
    std::unique_ptr<Executable> program_; // what this one runs
    std::string kernelName_;

  private:
    std::vector<IoInfo> inputs_;
    std::vector<IoInfo> outputs_;
};

} // namespace anec::runtime
