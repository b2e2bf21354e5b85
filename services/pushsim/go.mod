module github.com/heraldpush/herald/services/pushsim

go 1.26.8

require github.com/coder/websocket v1.8.15 // indirect

require github.com/heraldpush/herald/pkg v0.0.0

replace (
	github.com/heraldpush/herald/pkg => ../../pkg
	github.com/heraldpush/herald/proto => ../../proto
)
