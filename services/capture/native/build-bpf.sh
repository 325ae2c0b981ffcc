#!/bin/sh
# Compiles the BPF object. vmlinux.h is generated here from the running kernel's BTF rather than committed: it is
# 5+ MB of generated text, bpftool makes it in under a second, and CO-RE relocations make the object portable anyway.
# Runs after node-gyp (which wipes build/).
set -eu
cd "$(dirname "$0")/.."
mkdir -p build
bpftool btf dump file /sys/kernel/btf/vmlinux format c > native/vmlinux.h
clang -g -O2 -Wall -Wno-unused-variable -target bpf -D__TARGET_ARCH_x86 -I native -c native/capture.bpf.c -o build/capture.bpf.o
