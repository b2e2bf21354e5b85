module github.com/heraldpush/herald/services/heraldctl

go 1.26.8

require github.com/heraldpush/herald/pkg v0.0.0

replace github.com/heraldpush/herald/pkg => ../../pkg
