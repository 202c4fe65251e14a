// MIL text (model.mil), as Core ML's compiler reads it and anec writes it (docs/mil.md).
//
// The grammar is deliberately general: types and literal values are read as nested syntax
// (`dict<string, string>({{"k", "v"}})`, `tuple<...>((...))`, `tensor<fp16, [?, 4]>(...)`) and
// given a meaning later, in mil_lowering.cpp, which reports what anec cannot represent. Type and
// op names are plain identifiers, not keywords. Lexical errors never stop the lexer: bad
// characters and unterminated strings become tokens on the hidden channel (nothing else uses
// it), which the shared syntax error reporting (frontend/syntax_error_reporting.cpp) reports.
grammar Mil;

program : header '{' function* '}' EOF ;

// program(1.3) [buildInfo = dict<string, string>({{"k", "v"}, ...})]
header : PROGRAM '(' version=number ')' attributes? ;

// func main<ios18>(tensor<fp32, [1, 4096, 1, 64]> x) [attr = ...] { ... } -> (y);
function
    : FUNC name=IDENT ('<' opset=IDENT '>')? '(' (param (',' param)*)? ')' attributes?
      '{' statement* '}' ARROW '(' (returned+=IDENT (',' returned+=IDENT)*)? ')' ';'?
    ;
param : type name=IDENT ;

// TYPE var = op(arg = value, ...)[name = string("..."), more = ...];
statement : results '=' op=IDENT '(' (argument (',' argument)*)? ')' attributes? ';' ;
results
    : '(' result (',' result)* ')'     # parenResults
    | result (',' result)*             # plainResults
    ;
result : type name=IDENT ;

attributes : '[' (argument (',' argument)*)? ']' ;
argument   : name=IDENT '=' argValue ;
argValue
    : typedValue                            # literalArg
    | IDENT                                 # nameArg
    | (KW_TRUE | KW_FALSE)                  # boolArg      // `transpose_y = true`: bool(true)
    | '(' (argValue (',' argValue)*)? ')'   # tupleArg
    ;

// int32(1), string("x"), tensor<int32, [4]>([0, 0, 0, 0]), tensor<fp16, [2]>(BLOBFILE(...))
typedValue : type '(' literal? ')' ;

literal
    : STRING                                # stringLiteral
    | number                                # numberLiteral
    | (KW_TRUE | KW_FALSE)                  # boolLiteral
    | '[' (literal (',' literal)*)? ']'     # listLiteral
    | '{' (literal (',' literal)*)? '}'     # braceLiteral
    | '(' (literal (',' literal)*)? ')'     # tupleLiteral
    | BLOBFILE '(' (blobArg (',' blobArg)*)? ')'   # blobLiteral
    | typedValue                            # typedLiteral
    ;
blobArg : name=IDENT '=' typedValue ;

number : sign=('-' | '+')? (INT | FLOAT | HEX | KW_INF | KW_NAN) ;

// fp16, tensor<fp16, [1, ?, 4]>, dict<string, string>, list<tensor<int32, [2]>, ?>, state<...>
type     : name=IDENT ('<' typeArg (',' typeArg)* '>')? ;
typeArg
    : type                                  # typeTypeArg
    | '[' (dim (',' dim)*)? ']'             # shapeTypeArg
    | INT                                   # intTypeArg
    | '?'                                   # unknownTypeArg
    ;
dim : INT | '?' ;

PROGRAM  : 'program' ;
FUNC     : 'func' ;
BLOBFILE : 'BLOBFILE' ;
KW_TRUE  : 'true' ;  // not TRUE: a macro in some system headers
KW_FALSE : 'false' ;
KW_INF   : 'inf' ;  // not INF/NAN: NAN is a macro of <cmath>
KW_NAN   : 'nan' ;

IDENT : [a-zA-Z_] [a-zA-Z_0-9]* ;

// Values are converted (and range-checked) for the type they meet in mil_values.cpp.
INT   : [0-9]+ ;
FLOAT
    : [0-9]+ '.' [0-9]* EXPONENT?
    | '.' [0-9]+ EXPONENT?
    | [0-9]+ EXPONENT
    ;
// Hex integers and C99 hex floats: 0x1F, 0x1p-3, 0x1.8p+1.
HEX : '0' [xX] ( HEX_DIGIT+ ('.' HEX_DIGIT*)? | '.' HEX_DIGIT+ ) ([pP] [+-]? [0-9]+)? ;
fragment HEX_DIGIT : [0-9a-fA-F] ;
fragment EXPONENT  : [eE] [+-]? [0-9]+ ;

// Escapes are checked when the string is unescaped: \n \t \r \0 \\ \" \' \xHH are valid.
STRING : '"' ( '\\' ~[\r\n] | ~["\\\r\n] )* '"' ;

// Punctuation, ARROW to QUESTION in this order (mil_syntax.cpp relies on the range).
ARROW    : '->' ;
LT       : '<' ;
GT       : '>' ;
ASSIGN   : '=' ;
PLUS     : '+' ;
MINUS    : '-' ;
COMMA    : ',' ;
SEMI     : ';' ;
LPAREN   : '(' ;
RPAREN   : ')' ;
LBRACK   : '[' ;
RBRACK   : ']' ;
LBRACE   : '{' ;
RBRACE   : '}' ;
QUESTION : '?' ;

LINE_COMMENT : '//' ~[\r\n]* -> skip ;
WS : [ \t\r\n\f]+ -> skip ;

// Lexical errors, reported before parsing. A terminated string is always the longer match, so
// this only wins when the closing quote is missing.
UNTERMINATED_STRING : '"' ( '\\' ~[\r\n] | ~["\\\r\n] )* '\\'? -> channel(HIDDEN) ;
BAD_CHAR : . -> channel(HIDDEN) ;
