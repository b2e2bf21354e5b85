// Package bench is a placeholder until its issue lands.
package bench
