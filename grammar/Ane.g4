grammar Ane;
program : EOF ;
WS : [ \t\r\n]+ -> skip ;
