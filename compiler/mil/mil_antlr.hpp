#pragma once
// The ANTLR runtime and the generated MIL lexer and parser (grammar/Mil.g4). The runtime's
// headers trip -Wattributes (a visibility attribute on a forward declaration), silenced only here.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wattributes"
#include "MilLexer.h"
#include "MilParser.h"
#include "antlr4-runtime.h"
#pragma GCC diagnostic pop
