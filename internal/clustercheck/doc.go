// Package clustercheck holds no code, only tests: what Asynq v0.26, asynqmon
// v0.7.2 and an idle Asynq server do on a real Redis Cluster, measured so
// that docs/CLUSTER-NOTES.md can cite a test for each fact.
package clustercheck
