"""Fashion-MNIST (Debian's dataset-fashion-mnist) and the templated captions and VQA pairs."""
import gzip
import os
import numpy as np

ROOT = "/usr/share/datasets/fashion-mnist"
CLASSES = ["t-shirt", "trousers", "pullover", "dress", "coat", "sandal", "shirt", "sneaker", "bag",
           "ankle boot"]
FOOTWEAR = {5, 7, 9}
UPPER_BODY = {0, 2, 3, 4, 6}

CAPTION_TEMPLATES = ["a photo of a {}", "a picture of a {}", "an image of a {}", "a {}",
                     "this is a {}", "a black and white photo of a {}"]
PROMPT = "a photo of a {}"  # the prompt used for text-to-image evaluation and the CLI demo


def fix_article(text):
    return text.replace("a ankle", "an ankle")  # the only vowel-initial class


def caption(cls, k):
    return fix_article(CAPTION_TEMPLATES[k % len(CAPTION_TEMPLATES)].format(CLASSES[cls]))


def prompt(cls):
    return fix_article(PROMPT.format(CLASSES[cls]))


def vqa_pairs(cls):
    """(question, answer) pairs that are true for class cls."""
    name = CLASSES[cls]
    yn = lambda b: "yes" if b else "no"
    pairs = [("what is this?", name),
             ("what is shown?", name),
             ("is this footwear?", yn(cls in FOOTWEAR)),
             ("would you wear this on your upper body?", yn(cls in UPPER_BODY)),
             ("is this clothing?", yn(cls not in FOOTWEAR and cls != 8))]
    for other in range(10):
        pairs.append((fix_article("is this a {}?".format(CLASSES[other])), yn(other == cls)))
    return pairs


def _read_idx(path):
    with gzip.open(path, "rb") as f:
        data = f.read()
    magic = int.from_bytes(data[0:4], "big")
    ndim = magic & 0xFF
    dims = [int.from_bytes(data[4 + 4 * i:8 + 4 * i], "big") for i in range(ndim)]
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * ndim).reshape(dims)


def load_split(split):
    """Images [n,32,32] uint8 (28x28 padded with 2 px of black), labels [n]."""
    pre = "train" if split == "train" else "t10k"
    imgs = _read_idx(os.path.join(ROOT, f"{pre}-images-idx3-ubyte.gz"))
    labels = _read_idx(os.path.join(ROOT, f"{pre}-labels-idx1-ubyte.gz")).astype(np.int64)
    out = np.zeros((imgs.shape[0], 32, 32), np.uint8)
    out[:, 2:30, 2:30] = imgs
    return out, labels


def to_float(imgs_u8):
    return imgs_u8.astype(np.float32) / 127.5 - 1.0


def all_text():
    """Every caption, prompt and VQA line, for the tokenizer."""
    lines = []
    for c in range(10):
        for k in range(len(CAPTION_TEMPLATES)):
            lines.append(caption(c, k))
        for q, a in vqa_pairs(c):
            lines.append(q + " " + a)
    return lines
