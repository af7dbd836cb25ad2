"""Preparing Indonesian complaint text for the classifier, and masking personal data."""

from __future__ import annotations

import re
from dataclasses import dataclass

# Personal data first (before numbers are masked), most specific pattern first.
_URL = re.compile(r"(?:https?://|www\.)\S+", re.IGNORECASE)
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
# NIK and KK have 16 digits, BPJS cards 13, tax objects (NOP) 18: mask every long run.
_ID_NUMBER = re.compile(r"(?<!\d)\d{10,}(?!\d)")
_PHONE = re.compile(r"(?<!\d)(?:\+?62|0)8[\d\s.-]{7,14}\d(?!\d)")
_HANDLE = re.compile(r"(?<![\w.])@\w{2,}")
_NUMBER = re.compile(r"\d+")
_LITERAL_NEWLINE = re.compile(r"\\[nrt]")
_REPEATS = re.compile(r"([a-z])\1{2,}")
_REPEAT_HINT = re.compile(r"([a-z])\1\1")
_DIGIT_RUN = re.compile(r"\d{3}")  # any phone or ID number has three digits in a row

# Informal spellings and abbreviations common in complaints, mapped to the standard word.
# Kept to function words and generic abbreviations: topic abbreviations such as "pju",
# "bpjs" or "ktp" are strong routing signals and stay as they are.
SLANG = {
    "yg": "yang",
    "yng": "yang",
    "tdk": "tidak",
    "tdak": "tidak",
    "gak": "tidak",
    "ga": "tidak",
    "gk": "tidak",
    "nggak": "tidak",
    "ngga": "tidak",
    "enggak": "tidak",
    "tak": "tidak",
    "blm": "belum",
    "blum": "belum",
    "sdh": "sudah",
    "udh": "sudah",
    "udah": "sudah",
    "dah": "sudah",
    "sudh": "sudah",
    "mhn": "mohon",
    "mhon": "mohon",
    "mohn": "mohon",
    "utk": "untuk",
    "untk": "untuk",
    "u": "untuk",
    "krn": "karena",
    "karna": "karena",
    "krna": "karena",
    "dgn": "dengan",
    "dg": "dengan",
    "dngn": "dengan",
    "dr": "dari",
    "dri": "dari",
    "dlm": "dalam",
    "dl": "dulu",
    "tsb": "tersebut",
    "jln": "jalan",
    "jl": "jalan",
    "jaln": "jalan",
    "kel": "kelurahan",
    "kec": "kecamatan",
    "kab": "kabupaten",
    "bpk": "bapak",
    "bp": "bapak",
    "ibu2": "ibu",
    "sy": "saya",
    "sya": "saya",
    "aq": "aku",
    "kmi": "kami",
    "kami2": "kami",
    "tlg": "tolong",
    "tolg": "tolong",
    "trims": "terima kasih",
    "makasih": "terima kasih",
    "mksh": "terima kasih",
    "trmksh": "terima kasih",
    "tks": "terima kasih",
    "thx": "terima kasih",
    "bgt": "banget",
    "bnyk": "banyak",
    "byk": "banyak",
    "skrg": "sekarang",
    "skg": "sekarang",
    "sj": "saja",
    "aja": "saja",
    "sja": "saja",
    "kalo": "kalau",
    "klo": "kalau",
    "kl": "kalau",
    "gmn": "bagaimana",
    "gimana": "bagaimana",
    "bgmn": "bagaimana",
    "knp": "kenapa",
    "kpn": "kapan",
    "org": "orang",
    "orng": "orang",
    "hrs": "harus",
    "hrus": "harus",
    "bs": "bisa",
    "bsa": "bisa",
    "lg": "lagi",
    "lgi": "lagi",
    "jg": "juga",
    "jga": "juga",
    "sm": "sama",
    "sdg": "sedang",
    "lbh": "lebih",
    "msh": "masih",
    "masi": "masih",
    "pd": "pada",
    "tp": "tapi",
    "tpi": "tapi",
    "dpn": "depan",
    "dpan": "depan",
    "blkg": "belakang",
    "sblh": "sebelah",
    "smp2": "sampai",
    "sampe": "sampai",
    "smpai": "sampai",
    "rmh": "rumah",
    "rmah": "rumah",
    "sklh": "sekolah",
    "bln": "bulan",
    "thn": "tahun",
    "hr": "hari",
    "mgg": "minggu",
    "tgl": "tanggal",
    "pak": "bapak",
    "trus": "terus",
    "trs": "terus",
    "ttp": "tetap",
    "bnr": "benar",
    "bener": "benar",
    "nya": "",
    "d": "di",
    "ny": "nya",
    "pdhl": "padahal",
    "krg": "kurang",
    "bbrp": "beberapa",
    "sgt": "sangat",
    "sngt": "sangat",
    "spt": "seperti",
    "kpd": "kepada",
    "ttg": "tentang",
    "info": "informasi",
    "infonya": "informasi",
    "mslh": "masalah",
    "brp": "berapa",
}

# Words that carry no routing signal in complaints (greetings, politeness, pronouns).
STOP_WORDS = frozenset(
    """
    yang dan di ke dari untuk dengan pada dalam ini itu ada tidak sudah belum akan atau juga
    saya kami kita aku anda bapak ibu mohon tolong terima kasih assalamualaikum wr wb
    selamat pagi siang sore malam halo hallo min admin pak bu nya lah kah pun sih deh dong
    ya iya agar supaya karena jadi bisa apa apakah bagaimana kenapa kapan sangat sekali
    lagi masih saja hanya para sebagai oleh tersebut adalah ialah kalau jika maka namun tapi
    tetapi serta sampai hingga telah sedang banyak lebih kurang sama seperti terus harus
    mau ingin buat the and
    """.split()
)


@dataclass(frozen=True)
class TextOptions:
    """Which preparation steps run; chosen by measurement (see docs/routing.md)."""

    normalize_slang: bool = True
    remove_stop_words: bool = False
    stem: bool = False


def mask_personal_data(text: str) -> str:
    """Replace URLs, e-mail addresses, ID numbers, phone numbers and @handles with placeholders."""
    if "\\" in text:
        text = _LITERAL_NEWLINE.sub(" ", text)
    # Cheap tests first: most complaints have no URL or e-mail, and the regexes cost time.
    lowered = text.lower()
    if "http" in lowered or "www." in lowered:
        text = _URL.sub(" [url] ", text)
    if "@" in text:
        text = _EMAIL.sub(" [email] ", text)
        text = _HANDLE.sub(" [akun] ", text)
    if _DIGIT_RUN.search(text):
        text = _PHONE.sub(" [telepon] ", text)
        text = _ID_NUMBER.sub(" [nomor] ", text)
    return text


# Everything but letters, digits and white space becomes a space (non-ASCII is dropped first).
_PUNCTUATION = str.maketrans(
    {chr(c): " " for c in range(128) if not (chr(c).isalnum() or chr(c).isspace())}
)


def prepare(text: str, options: TextOptions = TextOptions()) -> str:
    """Lower-case, masked, normalised ASCII text as the classifier sees it."""
    text = mask_personal_data(text or "").lower()
    text = text.encode("ascii", "ignore").decode("ascii").translate(_PUNCTUATION)
    text = _NUMBER.sub(" 0 ", text)
    if _REPEAT_HINT.search(text):
        text = _REPEATS.sub(r"\1\1", text)
    words = text.split()
    if options.normalize_slang:
        # map(get, words, words) looks each word up with itself as the default, in C.
        words = " ".join(map(SLANG.get, words, words)).split()
    if options.remove_stop_words:
        words = [w for w in words if w not in STOP_WORDS]
    if options.stem:
        stemmer = _stemmer()
        words = [stemmer.stem(w) for w in words]
    return " ".join(words)


_STEMMER = None


def _stemmer():
    """PySastrawi's stemmer, built once (it loads a dictionary)."""
    global _STEMMER
    if _STEMMER is None:
        from Sastrawi.Stemmer.StemmerFactory import StemmerFactory

        _STEMMER = StemmerFactory().create_stemmer()
    return _STEMMER
