module github.com/heraldpush/herald/bench

go 1.26.8
