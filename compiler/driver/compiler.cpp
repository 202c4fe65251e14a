// placeholder until the driver library lands
namespace anec::driver {}
