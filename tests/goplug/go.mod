module viperbench/tests/goplug

go 1.19
