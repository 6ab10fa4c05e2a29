module github.com/stepwise-dev/stepwise

go 1.26.8

require github.com/ohler55/ojg v1.28.5
