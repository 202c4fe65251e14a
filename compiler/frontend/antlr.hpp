#pragma once
// The ANTLR runtime and the generated .ane lexer and parser. The runtime's headers trip
// -Wattributes (a visibility attribute on a forward declaration), silenced only here.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wattributes"
#include "AneLexer.h"
#include "AneParser.h"
#include "antlr4-runtime.h"
#pragma GCC diagnostic pop
