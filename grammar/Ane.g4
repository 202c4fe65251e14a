// The .ane kernel language (docs/language.md is the reference).
//
// Statements need no separator: every statement starts with a keyword or with `name =`, and no
// expression can continue with one of those, so `;` is optional everywhere. Lexical errors never
// stop the lexer: bad characters, unterminated strings and unterminated block comments become
// tokens on the hidden channel (nothing else uses it), which syntax_errors.cpp reports.
grammar Ane;

program : decl* EOF ;

// `dynamic` only makes sense on a weight; the AST builder reports it anywhere else (and where a
// declaration may stand: imports only at the top, consts and functions not inside a `for`).
decl
    : dynamic=DYNAMIC? (constDecl | weightDecl | fnDecl | kernelDecl | fuseDecl | gradDecl
                        | trainDecl | forDecl | assertDecl | importDecl)
    | ';'
    ;

constDecl  : CONST name=IDENT '=' value=expr ';'? ;
// The source is optional for a `dynamic weight` (zeros); sema requires it otherwise.
// `weight Wq[l]: ...` declares one element of a weight array (inside a `for`).
weightDecl : WEIGHT name=IDENT elementIndex? ':' type ('=' source=call)? ';'? ;
fnDecl     : FN name=IDENT '(' params=paramList? ')' ('->' fnResults)? block ;
kernelDecl : KERNEL name=IDENT elementIndex? '(' inputs=paramList? ')'
             '->' '(' outputs=paramList? ')' block ;
// `fuse up, down as ffn`: one program running the listed kernels in order (docs/language.md);
// `fuse attn[l], ffn[l] as block[l] keep (h)` fuses elements of kernel arrays and keeps an
// intermediate as an output.
fuseDecl   : FUSE fuseItem (',' fuseItem)* AS name=IDENT elementIndex?
             (KEEP '(' kept+=IDENT (',' kept+=IDENT)* ')')? ';'? ;
fuseItem   : name=IDENT elementIndex? ;
// `grad ffn wrt x, W as ffn_bwd`: the backward kernel of `ffn` (docs/autodiff.md). `wrt`,
// `saving` and `scale` are words only here (the AST builder checks them), not keywords.
gradDecl   : GRAD target=fuseItem wrtWord=IDENT wrt+=fuseItem (',' wrt+=fuseItem)* declOption*
             AS name=IDENT elementIndex? ';'? ;
// `key value, value`: an option of `grad` or `train`; the AST builder knows the keys.
declOption : key=IDENT values+=expr (',' values+=expr)* ;
// `train step { model embed, layer, head  loss lm_loss  optimizer adamw  lr 3e-3 ... }`: a
// training step (docs/training.md); every key is a word only here.
trainDecl  : TRAIN name=IDENT '{' (declOption ';'?)* '}' ;
// `for l in 0..LAYERS { ... }`: the declarations inside, once per value (compile time).
forDecl    : FOR var=IDENT IN range '{' decl* '}' ;
range      : start=expr '..' stop=expr ;
assertDecl : ASSERT cond=expr (',' message=STRING)? ';'? ;
// `import "std/nn.ane" as nn` (qualified: nn.rms_norm) or `import rope, swiglu from "f.ane"`.
importDecl
    : IMPORT path=STRING (AS alias=IDENT)? ';'?
    | IMPORT names+=IDENT (',' names+=IDENT)* FROM path=STRING ';'?
    ;

elementIndex : '[' expr (',' expr)* ']' ;

// `-> fp16[...]`, or several results `-> (a: fp16[...], b)` / `-> (fp16[..], fp16[..])`.
fnResults : type | '(' fnResult (',' fnResult)* ')' ;
fnResult  : name=IDENT (':' type)? | type ;

paramList : param (',' param)* ;
param     : name=IDENT (':' type)? ('=' defaultValue=expr)? ;

// `fp16[1, DIM, 1, SEQ]`, or a bare dtype for a scalar.
type : DTYPE ('[' expr (',' expr)* ']')? ;

block : '{' stmt* '}' ;

stmt
    : LET bindings '=' expr ';'?       # letStmt
    | VAR bindings '=' expr ';'?       # varStmt
    | target=IDENT '=' expr ';'?       # assignStmt
    | RETURN expr (',' expr)* ';'?     # returnStmt
    | FOR var=IDENT IN range block     # forStmt
    | ASSERT cond=expr (',' message=STRING)? ';'?   # assertStmt
    | ';'                              # emptyStmt
    ;
bindings
    : IDENT                            # singleBinding
    | '(' IDENT (',' IDENT)* ')'       # tupleBinding
    ;

// Alternatives from the tightest binding to the loosest; binary operators are left-associative.
expr
    : expr '.' member=IDENT                                  # memberExpr
    | expr open='[' subscript (',' subscript)* ']'           # indexExpr
    | '-' expr                                               # negExpr
    | expr op=('*' | '/' | '%' | '@') expr                   # mulExpr
    | expr op=('+' | '-') expr                               # addExpr
    | expr op=('<' | '<=' | '>' | '>=' | '==' | '!=') expr   # compareExpr
    | NOT expr                                               # notExpr
    | expr op=AND expr                                       # andExpr
    | expr op=OR expr                                        # orExpr
    | call                                                   # callExpr
    | '(' expr ')'                                           # parenExpr
    | '[' (expr (',' expr)*)? ']'                            # listExpr
    | INT                                                    # intExpr
    | FLOAT                                                  # floatExpr
    | STRING                                                 # stringExpr
    | (KW_TRUE | KW_FALSE)                                   # boolExpr
    | DTYPE                                                  # dtypeExpr
    | IDENT                                                  # nameExpr
    ;

// `f(x)`, `nn.rms_norm(x)` (a function of an imported module), `layer[l](h)` (a kernel of an
// array, inlined).
call     : callee=IDENT ('.' member=IDENT)? elementIndex? '(' (argument (',' argument)*)? ')' ;
argument : (keyword=IDENT '=')? expr ;

// x[i], x[a:b], x[a:b:c], x[:, ::2], x[..., -64:]
subscript
    : ELLIPSIS                         # ellipsisSubscript
    | expr rangeTail?                  # exprSubscript
    | rangeTail                        # openRangeSubscript
    ;
rangeTail : ':' stop=expr? (':' step=expr?)? ;

CONST  : 'const' ;
WEIGHT : 'weight' ;
DYNAMIC : 'dynamic' ;
FN     : 'fn' ;
KERNEL : 'kernel' ;
FUSE   : 'fuse' ;
GRAD   : 'grad' ;
TRAIN  : 'train' ;
AS     : 'as' ;
LET    : 'let' ;
RETURN : 'return' ;
VAR    : 'var' ;
FOR    : 'for' ;
IN     : 'in' ;
ASSERT : 'assert' ;
IMPORT : 'import' ;
FROM   : 'from' ;
KEEP   : 'keep' ;
AND    : 'and' ;
OR     : 'or' ;
NOT    : 'not' ;
KW_TRUE  : 'true' ;  // not TRUE: a macro in some system headers
KW_FALSE : 'false' ;
DTYPE
    : 'fp16' | 'fp32' | 'fp64'
    | 'int8' | 'int16' | 'int32' | 'int64'
    | 'uint8' | 'uint16' | 'uint32' | 'uint64'
    | 'bool'
    ;

IDENT : [a-zA-Z_] [a-zA-Z_0-9]* ;

// Range checks (int64 overflow, float overflow) happen when the AST is built.
INT
    : [0-9]+
    | '0' [xX] [0-9a-fA-F]+
    ;
FLOAT
    : [0-9]+ '.' [0-9]+ EXPONENT?
    | '.' [0-9]+ EXPONENT?
    | [0-9]+ EXPONENT
    ;
fragment EXPONENT : [eE] [+-]? [0-9]+ ;

// Escapes are checked when the string is unescaped: \n \t \r \\ \" are valid.
STRING : '"' ( '\\' ~[\r\n] | ~["\\\r\n] )* '"' ;

// Punctuation, ELLIPSIS to RBRACE in this order (syntax_errors.cpp relies on the range).
ELLIPSIS : '...' ;
DOTDOT   : '..' ;
ARROW    : '->' ;
LE : '<=' ;
GE : '>=' ;
EQ : '==' ;
NE : '!=' ;
LT : '<' ;
GT : '>' ;
ASSIGN : '=' ;
PLUS : '+' ;
MINUS : '-' ;
STAR : '*' ;
SLASH : '/' ;
PERCENT : '%' ;
AT : '@' ;
DOT : '.' ;
COMMA : ',' ;
COLON : ':' ;
SEMI : ';' ;
LPAREN : '(' ;
RPAREN : ')' ;
LBRACK : '[' ;
RBRACK : ']' ;
LBRACE : '{' ;
RBRACE : '}' ;

LINE_COMMENT  : '//' ~[\r\n]* -> skip ;
BLOCK_COMMENT : '/*' .*? '*/' -> skip ;
WS : [ \t\r\n\f]+ -> skip ;

// Lexical errors, reported by parser.cpp. A terminated string or comment is always the longer
// match, so these only win when the closing quote or `*/` is missing.
UNTERMINATED_STRING  : '"' ( '\\' ~[\r\n] | ~["\\\r\n] )* '\\'? -> channel(HIDDEN) ;
UNTERMINATED_COMMENT : '/*' ( ~'*' | '*'+ ~[*/] )* '*'* EOF -> channel(HIDDEN) ;
BAD_CHAR : . -> channel(HIDDEN) ;
