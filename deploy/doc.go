// Package deploy is a placeholder until its issue lands.
package deploy
