module github.com/heraldpush/herald/services/heraldctl

go 1.26.8

require (
	github.com/heraldpush/herald/pkg v0.0.0
	github.com/schollz/progressbar/v3 v3.19.1
	github.com/spf13/cobra v1.10.2
)

require (
	github.com/SherClockHolmes/webpush-go v1.4.0 // indirect
	github.com/golang-jwt/jwt/v5 v5.3.1 // indirect
	github.com/inconshreveable/mousetrap v1.1.0 // indirect
	github.com/mitchellh/colorstring v0.0.0-20190213212951-d06e56a500db // indirect
	github.com/rivo/uniseg v0.4.7 // indirect
	github.com/spf13/pflag v1.0.9 // indirect
	github.com/stretchr/testify v1.12.1 // indirect
	golang.org/x/crypto v0.57.0 // indirect
	golang.org/x/sys v0.49.0 // indirect
	golang.org/x/term v0.46.0 // indirect
)

replace (
	github.com/heraldpush/herald/pkg => ../../pkg
	github.com/heraldpush/herald/proto => ../../proto
	github.com/heraldpush/herald/services/api => ../api
)
