// The Apple Neural Engine device: AppleNeuralEngine.framework's private in-memory model API
// (the call sequence of /work/shared/reference/ane-and-mil.md §3 and the seed program), the only
// Objective-C in anec. Everything above the Device interface is plain C++.
//
// Memory management: manual reference counting, i.e. compiled WITHOUT -fobjc-arc (the clang
// default, and what tests/objc_syntax_check.sh checks). Objects kept across calls (the model, the
// request) are held as CFTypeRef taken with CFBridgingRetain and given back with CFRelease;
// IOSurfaces come from IOSurfaceCreate (+1) and are CFReleased; every other object is autoreleased
// inside the @autoreleasepool around each call sequence. No retain/release/autorelease message is
// sent, so the file is meant to stay correct under ARC too, but it has never been compiled so.
//
// Exceptions: Objective-C exceptions (NSException, e.g. a selector missing on a future OS) are
// caught with @try/@catch and turned into DeviceError; C++ exceptions (DeviceError, or whatever
// the caller's writer/reader throws) are captured inside the pool and rethrown after it is
// drained, so none unwinds through an Objective-C frame.
#if defined(__APPLE__)
#import <Foundation/Foundation.h>
#include <IOSurface/IOSurface.h>
#include <objc/message.h>
#include <sys/sysctl.h>
#elif defined(ANEC_OBJC_SYNTAX_CHECK)
// Linux syntax-only check against GNUstep (tests/objc_syntax_check.sh): Apple-only declarations.
#include "apple_platform_stubs.h"
#else
#error "ane_device_apple.mm is built only on Apple platforms"
#endif

#include <dlfcn.h>

#include <cstdlib>
#include <exception>
#include <initializer_list>
#include <memory>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "runtime/ane/ane_device.hpp"

namespace anec::runtime::ane {
namespace {

constexpr const char* kFrameworkPath =
    "/System/Library/PrivateFrameworks/AppleNeuralEngine.framework/AppleNeuralEngine";
// The QoS every report passes to compile, load, evaluate and unload: 21 = QOS_CLASS_DEFAULT
// (0x15).
constexpr unsigned int kQoS = 21;
constexpr const char* kModelPathPrefix = "@model_path/";

using Stage = DeviceError::Stage;

// objc_msgSend has no usable prototype on Apple silicon: each call casts it to the method's exact
// function type. The parameter types are spelled out (not deduced) so that nil converts to id
// and an NSError** argument gets ARC's write-back conversion when compiled with ARC.
template <typename Signature> struct Message;
template <typename Result, typename... Params> struct Message<Result(Params...)> {
    static Result send(id receiver, SEL selector, Params... params) {
        using Function = Result (*)(id, SEL, Params...);
        return reinterpret_cast<Function>(objc_msgSend)(receiver, selector, params...);
    }
};

std::string utf8(NSString* text) {
    if (text == nil) return "";
    const char* bytes = [text UTF8String];
    return bytes != nullptr ? std::string(bytes) : std::string();
}

// Paths and weight names come from the emitter (ASCII); anything that is not UTF-8 is refused
// rather than turned into a different key.
NSString* nsString(const std::string& text) {
    NSString* string = [NSString stringWithUTF8String:text.c_str()];
    if (string == nil) throw DeviceError(Stage::Compile, "'" + text + "' is not valid UTF-8");
    return string;
}

// The NSError as one line of text: localizedDescription, domain and code, then userInfo (where
// the ANE puts "status=0x1d" and the compiler's messages).
std::string describe(NSError* error) {
    if (error == nil) return "the framework reported failure without an NSError";
    std::string text = utf8([error localizedDescription]);
    text += " (" + utf8([error domain]) + " code " + std::to_string((long long)[error code]) + ")";
    NSDictionary* info = [error userInfo];
    if (info != nil && [info count] > 0) text += "; userInfo: " + utf8([info description]);
    return text;
}

// The ANE status: the "status=0x.." the evaluation errors print (e.g. 0x1d for surface
// sizes/order) when the text has one, else the NSError's code, else 0.
int64_t statusOf(NSError* error, const std::string& text) {
    const std::string marker = "status=0x";
    if (size_t at = text.find(marker); at != std::string::npos) {
        char* end = nullptr;
        const char* digits = text.c_str() + at + marker.size();
        long long status = std::strtoll(digits, &end, 16);
        if (end != digits) return status;
    }
    return error != nil ? (int64_t)[error code] : 0;
}

[[noreturn]] void fail(Stage stage, const std::string& what, NSError* error) {
    std::string text = what + ": " + describe(error);
    int64_t status = statusOf(error, text);
    throw DeviceError(stage, std::move(text), status);
}

// Runs `body` inside an autorelease pool; an NSException becomes a DeviceError of `stage`; a C++
// exception leaves only after the pool is drained.
template <typename Body> void runObjC(Stage stage, const char* what, Body&& body) {
    std::exception_ptr failure;
    @autoreleasepool {
        @try {
            try {
                body();
            } catch (...) {
                failure = std::current_exception();
            }
        } @catch (NSException* exception) {
            std::string text = std::string(what) + ": Objective-C exception " +
                               utf8([exception name]) + ": " + utf8([exception reason]);
            failure = std::make_exception_ptr(DeviceError(stage, std::move(text)));
        }
    }
    if (failure) std::rethrow_exception(failure);
}

// The classes of AppleNeuralEngine.framework the in-memory path uses.
struct AneClasses {
    Class descriptor = Nil; // _ANEInMemoryModelDescriptor
    Class model = Nil;      // _ANEInMemoryModel
    Class request = Nil;    // _ANERequest
    Class surface = Nil;    // _ANEIOSurfaceObject
};

// The private API's selectors, named once. (clang-format cannot lay out multi-part @selectors.)
// clang-format off
struct Selectors {
    SEL modelWithMIL = @selector(modelWithMILText:weights:optionsPlist:);
    SEL inMemoryModel = @selector(inMemoryModelWithDescriptor:);
    SEL hexStringIdentifier = @selector(hexStringIdentifier);
    SEL compile = @selector(compileWithQoS:options:error:);
    SEL load = @selector(loadWithQoS:options:error:);
    SEL evaluate = @selector(evaluateWithQoS:options:request:error:);
    SEL unload = @selector(unloadWithQoS:error:);
    SEL request = @selector(requestWithInputs:inputIndices:outputs:outputIndices:weightsBuffer:perfStats:procedureIndex:);
    SEL surfaceObject = @selector(objectWithIOSurface:);
};
// clang-format on

const Selectors& api() {
    static const Selectors selectors;
    return selectors;
}

// A method the in-memory path calls: on the class itself (+) or on its instances (-).
struct Method {
    Class owner;
    bool classMethod;
    SEL selector;
};

std::vector<Method> requiredMethods(const AneClasses& classes) {
    const Selectors& sel = api();
    return {{classes.descriptor, true, sel.modelWithMIL},
            {classes.model, true, sel.inMemoryModel},
            {classes.model, false, sel.hexStringIdentifier},
            {classes.model, false, sel.compile},
            {classes.model, false, sel.load},
            {classes.model, false, sel.evaluate},
            {classes.model, false, sel.unload},
            {classes.request, true, sel.request},
            {classes.surface, true, sel.surfaceObject}};
}

// Checked at open so that an OS without one of the methods gives a reason instead of an
// "unrecognized selector" exception later.
bool checkMethods(const AneClasses& classes, std::string& why) {
    for (const Method& method : requiredMethods(classes)) {
        Class owner = method.owner;
        SEL query = method.classMethod ? @selector(respondsToSelector:)
                                       : @selector(instancesRespondToSelector:);
        if (!Message<BOOL(SEL)>::send(owner, query, method.selector)) {
            why = "AppleNeuralEngine.framework lacks the method " +
                  std::string(method.classMethod ? "+[" : "-[") + utf8(NSStringFromClass(owner)) +
                  " " + utf8(NSStringFromSelector(method.selector)) + "]";
            return false;
        }
    }
    return true;
}

bool findClass(NSString* name, Class& found, std::string& why) {
    found = NSClassFromString(name);
    if (found == Nil) why = "AppleNeuralEngine.framework has no class " + utf8(name);
    return found != Nil;
}

// A flat surface of exactly `bytes` bytes: width = bytes, height 1, one byte per element.
IOSurfaceRef createSurface(size_t bytes) {
    NSDictionary* properties = @{
        (__bridge id)kIOSurfaceWidth : @(bytes),
        (__bridge id)kIOSurfaceHeight : @1,
        (__bridge id)kIOSurfaceBytesPerElement : @1,
        (__bridge id)kIOSurfaceBytesPerRow : @(bytes),
        (__bridge id)kIOSurfaceAllocSize : @(bytes),
        (__bridge id)kIOSurfacePixelFormat : @0
    };
    IOSurfaceRef surface = IOSurfaceCreate((__bridge CFDictionaryRef)properties);
    if (surface == nullptr)
        throw DeviceError(Stage::Load,
                          "IOSurfaceCreate failed for " + std::to_string(bytes) + " bytes");
    if (IOSurfaceGetAllocSize(surface) < bytes) {
        size_t got = IOSurfaceGetAllocSize(surface);
        CFRelease(surface);
        throw DeviceError(Stage::Load, "IOSurfaceCreate gave " + std::to_string(got) +
                                           " bytes instead of " + std::to_string(bytes));
    }
    return surface;
}

// The file a MIL weight path names inside the model's temp dir ("@model_path/weights/W1.bin" ->
// "weights/W1.bin"); rejects paths that would escape it.
std::string relativeWeightPath(const std::string& milPath) {
    std::string prefix = kModelPathPrefix;
    if (milPath.compare(0, prefix.size(), prefix) != 0 || milPath.size() == prefix.size() ||
        milPath.find("..") != std::string::npos)
        throw DeviceError(Stage::Compile,
                          "weight path '" + milPath + "' is not of the form @model_path/<file>");
    return milPath.substr(prefix.size());
}

class AppleLoadedProgram final : public LoadedProgram {
  public:
    explicit AppleLoadedProgram(const AneClasses& classes) : classes_(classes) {}
    AppleLoadedProgram(const AppleLoadedProgram&) = delete;
    AppleLoadedProgram& operator=(const AppleLoadedProgram&) = delete;
    ~AppleLoadedProgram() override { release(); }

    void compileAndLoad(const ProgramSource& source, const SurfaceSizes& sizes) {
        runObjC(Stage::Compile, "compiling the program", [&] { createModel(source); });
        runObjC(Stage::Compile, "compiling the program", [&] { compile(); });
        runObjC(Stage::Load, "loading the program", [&] { load(); });
        runObjC(Stage::Load, "allocating the surfaces", [&] { createRequest(sizes); });
    }

    void evaluate(const SurfaceWriter& writeInputs, const SurfaceReader& readOutputs) override {
        for (size_t i = 0; i < inputs_.size(); ++i)
            withLockedSurface(inputs_[i], 0,
                              [&](std::span<uint8_t> bytes) { writeInputs(i, bytes); });
        runObjC(Stage::Evaluate, "evaluating the program", [&] {
            NSError* error = nil;
            BOOL ok = Message<BOOL(unsigned int, id, id, NSError**)>::send(
                (__bridge id)model_, api().evaluate, kQoS, @{}, (__bridge id)request_, &error);
            if (!ok) fail(Stage::Evaluate, "evaluateWithQoS failed", error);
        });
        for (size_t i = 0; i < outputs_.size(); ++i)
            withLockedSurface(outputs_[i], kIOSurfaceLockReadOnly, [&](std::span<uint8_t> bytes) {
                readOutputs(i, std::span<const uint8_t>(bytes.data(), bytes.size()));
            });
    }

  private:
    struct Surface {
        IOSurfaceRef ref = nullptr;
        size_t bytes = 0;
    };

    // MIL as NSData, the weights dictionary, descriptor -> model, then model.mil and weights/
    // written into the temp dir that hexStringIdentifier names.
    void createModel(const ProgramSource& source) {
        NSData* mil = [NSData dataWithBytes:source.milText.data() length:source.milText.size()];
        NSMutableDictionary* weights = [NSMutableDictionary dictionary]; // @{} when none
        for (const WeightFile& file : source.weights) {
            relativeWeightPath(file.milPath); // validated before anything is written
            NSData* data = [NSData dataWithBytes:file.bytes.data() length:file.bytes.size()];
            [weights setObject:@{@"offset" : @0, @"data" : data} forKey:nsString(file.milPath)];
        }
        id descriptor = Message<id(id, id, id)>::send(classes_.descriptor, api().modelWithMIL, mil,
                                                      weights, nil);
        if (descriptor == nil)
            throw DeviceError(Stage::Compile, "_ANEInMemoryModelDescriptor rejected the MIL text "
                                              "(modelWithMILText returned nil)");
        id model = Message<id(id)>::send(classes_.model, api().inMemoryModel, descriptor);
        if (model == nil)
            throw DeviceError(Stage::Compile, "inMemoryModelWithDescriptor returned nil");
        model_ = CFBridgingRetain(model);
        NSString* identifier = Message<id()>::send(model, api().hexStringIdentifier);
        if (identifier == nil || [identifier length] == 0)
            throw DeviceError(Stage::Compile, "the model has no hexStringIdentifier");
        NSString* dir = [NSTemporaryDirectory() stringByAppendingPathComponent:identifier];
        tempDir_ = utf8(dir);
        writeModelFiles(dir, mil, weights);
    }

    void writeModelFiles(NSString* dir, NSData* mil, NSDictionary* weights) {
        NSFileManager* files = [NSFileManager defaultManager];
        NSError* error = nil;
        if (![files createDirectoryAtPath:[dir stringByAppendingPathComponent:@"weights"]
                withIntermediateDirectories:YES
                                 attributes:nil
                                      error:&error])
            fail(Stage::Compile, "cannot create " + tempDir_ + "/weights", error);
        writeFile([dir stringByAppendingPathComponent:@"model.mil"], mil);
        for (NSString* milPath in weights) {
            NSString* path =
                [dir stringByAppendingPathComponent:nsString(relativeWeightPath(utf8(milPath)))];
            NSString* parent = [path stringByDeletingLastPathComponent];
            if (![files createDirectoryAtPath:parent
                    withIntermediateDirectories:YES
                                     attributes:nil
                                          error:&error])
                fail(Stage::Compile, "cannot create " + utf8(parent), error);
            writeFile(path, [[weights objectForKey:milPath] objectForKey:@"data"]);
        }
    }

    static void writeFile(NSString* path, NSData* data) {
        if (![data writeToFile:path atomically:YES])
            throw DeviceError(Stage::Compile, "cannot write " + utf8(path));
    }

    void compile() {
        NSError* error = nil;
        BOOL ok = Message<BOOL(unsigned int, id, NSError**)>::send(
            (__bridge id)model_, api().compile, kQoS, @{}, &error);
        if (!ok) fail(Stage::Compile, "compileWithQoS failed", error);
    }

    void load() {
        NSError* error = nil;
        BOOL ok = Message<BOOL(unsigned int, id, NSError**)>::send((__bridge id)model_, api().load,
                                                                   kQoS, @{}, &error);
        if (!ok) fail(Stage::Load, "loadWithQoS failed", error);
        loaded_ = true;
    }

    // One surface per input and output, wrapped, and the request built once.
    void createRequest(const SurfaceSizes& sizes) {
        NSMutableArray* inputs = [NSMutableArray array];
        NSMutableArray* inputIndices = [NSMutableArray array];
        NSMutableArray* outputs = [NSMutableArray array];
        NSMutableArray* outputIndices = [NSMutableArray array];
        addSurfaces(sizes.inputs, inputs_, inputs, inputIndices);
        addSurfaces(sizes.outputs, outputs_, outputs, outputIndices);
        id request = Message<id(id, id, id, id, id, id, id)>::send(classes_.request, api().request,
                                                                   inputs, inputIndices, outputs,
                                                                   outputIndices, nil, nil, @0);
        if (request == nil) throw DeviceError(Stage::Load, "_ANERequest returned nil");
        request_ = CFBridgingRetain(request);
    }

    void addSurfaces(const std::vector<size_t>& sizes, std::vector<Surface>& owned,
                     NSMutableArray* objects, NSMutableArray* indices) {
        for (size_t bytes : sizes) {
            owned.push_back(Surface{createSurface(bytes), bytes});
            id object = Message<id(IOSurfaceRef)>::send(classes_.surface, api().surfaceObject,
                                                        owned.back().ref);
            if (object == nil) throw DeviceError(Stage::Load, "_ANEIOSurfaceObject returned nil");
            [indices addObject:@([objects count])];
            [objects addObject:object];
        }
    }

    // Locks `surface`, gives its bytes to `use`, and unlocks it even when `use` throws.
    template <typename Use>
    static void withLockedSurface(const Surface& surface, IOSurfaceLockOptions options, Use&& use) {
        if (kern_return_t status = IOSurfaceLock(surface.ref, options, nullptr); status != 0)
            throw DeviceError(Stage::Evaluate, "IOSurfaceLock failed", status);
        try {
            auto* base = static_cast<uint8_t*>(IOSurfaceGetBaseAddress(surface.ref));
            use(std::span<uint8_t>(base, surface.bytes));
        } catch (...) {
            IOSurfaceUnlock(surface.ref, options, nullptr);
            throw;
        }
        if (kern_return_t status = IOSurfaceUnlock(surface.ref, options, nullptr); status != 0)
            throw DeviceError(Stage::Evaluate, "IOSurfaceUnlock failed", status);
    }

    // Unload, remove the temp dir, release the surfaces and objects. Never throws: failures here
    // cannot be reported from a destructor and leave nothing the next program depends on.
    void release() noexcept {
        @autoreleasepool {
            @try {
                if (loaded_) {
                    NSError* error = nil;
                    Message<BOOL(unsigned int, NSError**)>::send((__bridge id)model_, api().unload,
                                                                 kQoS, &error);
                }
                NSString* dir = [NSString stringWithUTF8String:tempDir_.c_str()];
                if (!tempDir_.empty() && dir != nil)
                    [[NSFileManager defaultManager] removeItemAtPath:dir error:nullptr];
            } @catch (NSException*) {
            }
        }
        for (std::vector<Surface>* surfaces : {&inputs_, &outputs_})
            for (Surface& surface : *surfaces)
                if (surface.ref != nullptr) CFRelease(surface.ref);
        if (request_ != nullptr) CFRelease(request_);
        if (model_ != nullptr) CFRelease(model_);
    }

    AneClasses classes_;
    CFTypeRef model_ = nullptr;   // _ANEInMemoryModel, +1 via CFBridgingRetain
    CFTypeRef request_ = nullptr; // _ANERequest, +1 via CFBridgingRetain
    std::vector<Surface> inputs_;
    std::vector<Surface> outputs_;
    std::string tempDir_;
    bool loaded_ = false;
};

class AppleDevice final : public Device {
  public:
    explicit AppleDevice(const AneClasses& classes) : classes_(classes) {}

    std::string chipName() const override {
        char name[256] = {};
        size_t length = sizeof(name) - 1;
        if (sysctlbyname("machdep.cpu.brand_string", name, &length, nullptr, 0) != 0)
            return "unknown Apple chip";
        return std::string(name);
    }

    std::unique_ptr<LoadedProgram> compileAndLoad(const ProgramSource& source,
                                                  const SurfaceSizes& surfaces) override {
        // The program's destructor undoes whatever a failing step left (temp dir, load).
        auto program = std::make_unique<AppleLoadedProgram>(classes_);
        program->compileAndLoad(source, surfaces);
        return program;
    }

  private:
    AneClasses classes_;
};

} // namespace

std::unique_ptr<Device> openAppleNeuralEngine(std::string& why) {
#if defined(__APPLE__) && !defined(__arm64__)
    // Intel Macs have no ANE; an x86_64 build under Rosetta is not a configuration anyone reported.
    why = "this anec is an x86_64 build: the ANE is driven only by arm64 builds on Apple silicon";
    return nullptr;
#endif
    // The handle stays open for the life of the process: the classes live in the framework.
    if (dlopen(kFrameworkPath, RTLD_NOW) == nullptr) {
        const char* reason = dlerror();
        why = std::string("cannot load ") + kFrameworkPath + ": " +
              (reason != nullptr ? reason : "unknown dlopen error");
        return nullptr;
    }
    std::unique_ptr<Device> device;
    try {
        runObjC(Stage::Open, "opening the ANE", [&] {
            AneClasses classes;
            if (!findClass(@"_ANEInMemoryModelDescriptor", classes.descriptor, why) ||
                !findClass(@"_ANEInMemoryModel", classes.model, why) ||
                !findClass(@"_ANERequest", classes.request, why) ||
                !findClass(@"_ANEIOSurfaceObject", classes.surface, why) ||
                !checkMethods(classes, why))
                return;
            device = std::make_unique<AppleDevice>(classes);
        });
    } catch (const std::exception& error) {
        why = error.what();
        return nullptr;
    }
    return device;
}

} // namespace anec::runtime::ane
