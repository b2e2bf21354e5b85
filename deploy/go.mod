module github.com/heraldpush/herald/deploy

go 1.26.8
