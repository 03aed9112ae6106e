"""The SentencePiece unigram tokenizer and the fixed-length text layout of the denoiser."""
import sentencepiece as spm

PAD, UNK, EOS = 0, 1, 2


class Tokenizer:
    def __init__(self, model_path):
        self.sp = spm.SentencePieceProcessor(model_file=model_path)
        self.vocab_size = self.sp.get_piece_size()
        assert self.sp.pad_id() == PAD and self.sp.unk_id() == UNK and self.sp.eos_id() == EOS

    def encode(self, text):
        return self.sp.encode(text)

    def decode(self, ids):
        """Pieces up to the first EOS; pad and MASK ids are dropped."""
        out = []
        for i in ids:
            if i == EOS:
                break
            if 0 <= i < self.vocab_size and i != PAD:
                out.append(int(i))
        return self.sp.decode(out)

    def layout(self, text, text_len):
        """text -> ids + EOS, padded with PAD to text_len. Raises if it does not fit."""
        ids = self.encode(text) + [EOS]
        if len(ids) > text_len:
            raise ValueError(f"text needs {len(ids)} positions, the model has {text_len}: {text!r}")
        return ids + [PAD] * (text_len - len(ids))

    def export_vocab_tsv(self, path):
        sp = self.sp
        with open(path, "w", encoding="utf-8") as f:
            for i in range(self.vocab_size):
                if sp.is_unknown(i):
                    t = 2
                elif sp.is_control(i):
                    t = 3
                elif sp.is_unused(i):
                    t = 5
                elif sp.is_byte(i):
                    t = 6
                else:
                    t = 1
                f.write(f"{sp.id_to_piece(i)}\t{sp.get_score(i):.9g}\t{t}\n")


def train(lines, prefix, vocab_size):
    """Unigram model on the lines. SentencePiece seeds pieces from substrings that occur in at
    least two distinct sentences, so each word is also given as a line of its own (and doubled):
    otherwise rare words like "would" never become pieces."""
    words = sorted({w for line in lines for w in line.split()})
    corpus = list(lines) + words + [w + " " + w for w in words]
    spm.SentencePieceTrainer.train(
        sentence_iterator=iter(corpus), model_prefix=prefix, model_type="unigram",
        vocab_size=vocab_size, normalization_rule_name="identity", pad_id=PAD, unk_id=UNK,
        bos_id=-1, eos_id=EOS, hard_vocab_limit=False, character_coverage=1.0,
        minloglevel=2, num_threads=1)
