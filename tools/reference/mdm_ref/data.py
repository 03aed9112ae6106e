"""Fashion-MNIST (Debian's dataset-fashion-mnist) and the templated captions and VQA pairs."""
import gzip
import os
import numpy as np

ROOT = "/usr/share/datasets/fashion-mnist"
CLASSES = ["t-shirt", "trousers", "pullover", "dress", "coat", "sandal", "shirt", "sneaker", "bag",
           "ankle boot"]
FOOTWEAR = {5, 7, 9}
UPPER_BODY = {0, 2, 3, 4, 6}

# What people type for each class: the canonical name first (captions and "what is this?"
# answers use it, so evaluation can match one word), then synonyms; plural forms beside them.
# "trousers" is plural in form; "trouser" is how people often type it.
NAMES = [["t-shirt", "tshirt", "tee", "top"],
         ["trousers", "trouser", "pants", "jeans"],
         ["pullover", "sweater", "jumper"],
         ["dress"],
         ["coat", "jacket"],
         ["sandal"],
         ["shirt", "blouse"],
         ["sneaker", "trainer", "running shoe"],
         ["bag", "handbag", "purse"],
         ["ankle boot", "boot"]]
PLURAL_ONLY = {"trousers", "pants", "jeans"}


def plural(name):
    if name in PLURAL_ONLY:
        return name
    if name == "trouser":
        return "trousers"
    return name + ("es" if name.endswith(("s", "sh", "ch", "x")) else "s")


def with_article(name):
    if name in PLURAL_ONLY:
        return "a pair of " + name
    return ("an " if name[0] in "aeiou" else "a ") + name


# Captions name the class by its canonical name, always singular (one item per image).
CAPTION_TEMPLATES = ["a photo of {}", "a picture of {}", "an image of {}", "{}",
                     "this is {}", "a black and white photo of {}"]
# Prompt frames for text-to-image; {} is a noun phrase (bare, with article, or plural).
PROMPT_FRAMES = ["{}", "{}", "a photo of {}", "a picture of {}", "an image of {}",
                 "photo of {}", "a black and white photo of {}", "a drawing of {}"]
PROMPT = "a photo of {}"  # the canonical prompt (CLI demo, evaluation)


def noun_phrases(cls):
    """Every way the prompts name class cls: bare, with an article, plural."""
    out = []
    for n in NAMES[cls]:
        out += [n, with_article(n), plural(n)]
    return sorted(set(out))


def caption(cls, k):
    return CAPTION_TEMPLATES[k % len(CAPTION_TEMPLATES)].format(with_article(CLASSES[cls])
                                                                if CLASSES[cls] not in PLURAL_ONLY
                                                                else CLASSES[cls])


def prompts(cls):
    """Every training prompt of class cls (frames x noun phrases)."""
    return sorted({f.format(np) for f in PROMPT_FRAMES for np in noun_phrases(cls)})


def prompt(cls):
    name = CLASSES[cls]
    return PROMPT.format(name if name in PLURAL_ONLY else with_article(name))


GENERIC_QUESTIONS = ["what is this?", "what is shown?", "what is it?", "what is in the picture?",
                     "what is in the image?"]


def vqa_pairs(cls):
    """(question, answer) pairs that are true for class cls: the generic ones first (the
    fixed list evaluate.py draws from), then "is this a ...?" for every class and synonym."""
    name = CLASSES[cls]
    yn = lambda b: "yes" if b else "no"
    pairs = [(q, name) for q in GENERIC_QUESTIONS]
    pairs += [("is this footwear?", yn(cls in FOOTWEAR)),
              ("is this a shoe?", yn(cls in FOOTWEAR)),
              ("would you wear this on your upper body?", yn(cls in UPPER_BODY)),
              ("is this worn on the upper body?", yn(cls in UPPER_BODY)),
              ("is this clothing?", yn(cls not in FOOTWEAR and cls != 8)),
              ("is this a piece of clothing?", yn(cls not in FOOTWEAR and cls != 8))]
    return pairs


def is_this_pairs(cls, other):
    """Questions "is this a X?" / "is it X?" / "are these X?" about class other's names."""
    yn = "yes" if other == cls else "no"
    out = []
    for n in NAMES[other]:
        np_ = with_article(n)
        out += [(f"is this {np_}?", yn), (f"is it {np_}?", yn)]
        if n in PLURAL_ONLY:
            out.append((f"are these {n}?", yn))
    return out


def all_text():
    """Every caption, prompt and VQA line, for the tokenizer."""
    lines = []
    for c in range(10):
        for k in range(len(CAPTION_TEMPLATES)):
            lines.append(caption(c, k))
        lines += prompts(c)
        for q, a in vqa_pairs(c):
            lines.append(q + " " + a)
        for o in range(10):
            for q, a in is_this_pairs(c, o):
                lines.append(q + " " + a)
    return lines


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


def as_the_cli_gives(imgs_u8):
    """The 32x32 images that the C runtime makes of 28x28 inputs (mdm_image_prepare, MDM_FIT_PAD:
    bilinear on pixel centres, edges clamped, rounded), from the padded [n,32,32] images:
    captions and VQA train on these as well as on the padded ones, so both agree."""
    import torch
    import torch.nn.functional as F
    raw = torch.from_numpy(imgs_u8[:, 2:30, 2:30].astype(np.float32))[:, None]
    up = F.interpolate(raw, size=(32, 32), mode="bilinear", align_corners=False)
    return up[:, 0].round().clamp(0, 255).numpy().astype(np.uint8)


def to_float(imgs_u8):
    return imgs_u8.astype(np.float32) / 127.5 - 1.0


def eval_prompts(cls):
    """The prompts text-to-image is judged on, in the forms people type: the bare name, its
    plural, with an article, "a photo of ...", and each synonym bare (see NAMES)."""
    name = CLASSES[cls]
    forms = [name, plural(name), with_article(name), prompt(cls), "a picture of " + plural(name)]
    forms += [n for n in NAMES[cls][1:]]
    out = []
    for f in forms:  # unique, order kept
        if f not in out:
            out.append(f)
    return out
