module github.com/cancelsync/cancelsync

go 1.26.0
