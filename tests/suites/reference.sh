#!/usr/bin/env bash
# Tests of the PyTorch reference; SKIP when /usr/bin/python3 has no torch.
cd "$(dirname "$0")/../.."
py=/usr/bin/python3
if ! "$py" -c 'import torch, numpy, sentencepiece' 2>/dev/null; then
    echo "SKIP reference: tool missing: /usr/bin/python3 with torch, numpy and sentencepiece"
    exit 0
fi
exec "$py" tools/reference/test_reference.py
