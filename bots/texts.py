"""What the bot says, in Bahasa Indonesia."""

WELCOME = (
    "Selamat datang di layanan pengaduan {region}.\n\n"
    "/lapor — buat pengaduan baru\n"
    "/status — lihat pengaduan Anda (atau /status KODE)\n"
    "/batal — batalkan pengaduan yang sedang dibuat"
)
ASK_TEXT = (
    "Tulis isi pengaduan Anda: apa masalahnya, di mana, sejak kapan "
    "(minimal {min} karakter). /batal untuk membatalkan."
)
TEXT_TOO_SHORT = "Isi pengaduan terlalu pendek: minimal {min} karakter. Tulis lebih lengkap."
TEXT_TOO_LONG = "Isi pengaduan terlalu panjang: maksimal {max} karakter."
ASK_PLACE = (
    "Di mana lokasinya? Kirim lokasi (📎 → Lokasi), atau ketik kabupaten/kota dan kecamatan, "
    "misalnya: Palangka Raya, Jekan Raya. /lewati bila tidak ingin menyebutkan."
)
ASK_FILES = (
    "Kirim foto atau dokumen PDF sebagai bukti (paling banyak {max} berkas, masing-masing "
    "maks. {mb} MB), lalu ketik /selesai. /lewati bila tidak ada."
)
FILE_RECEIVED = "Berkas diterima ({count}/{max}). Kirim lagi atau ketik /selesai."
FILE_BAD_TYPE = "Berkas itu tidak dapat diterima: hanya foto (JPEG, PNG, WebP) atau PDF."
FILE_TOO_LARGE = "Berkas itu terlalu besar: maksimal {mb} MB."
FILES_FULL = "Sudah {max} berkas, batas maksimal. Ketik /selesai untuk melanjutkan."
ASK_ANONYMOUS = (
    "Rahasiakan identitas Anda?\n"
    "Anonim: nama dan kontak Anda tidak ditunjukkan kepada OPD maupun publik."
)
ASK_CONFIDENTIAL = (
    "Rahasiakan isi pengaduan dari publik?\n"
    "Rahasia: pengaduan tidak ditampilkan di daftar pengaduan publik; hanya petugas yang "
    "menanganinya yang dapat membacanya."
)
SUMMARY = (
    "Periksa pengaduan Anda:\n\n{text}\n\n"
    "Lokasi: {place}\nLampiran: {files} berkas\nAnonim: {anonymous}\nRahasia: {confidential}\n\n"
    "Kirim sekarang?"
)
SENT = (
    "Pengaduan Anda diterima.\n\nKode pelacakan: {code}\nOPD: {agency}\n"
    "Batas waktu tahap berikutnya: {deadline}\n\n"
    "Simpan kode ini. Cek kapan saja dengan /status {code}"
)
PRIVATE_LINK = (
    "\n\nDi chat ini Anda dikenali dari akun Telegram Anda. Untuk membuka pengaduan di web "
    "sebagai pelapor, gunakan tautan pribadi ini (jangan dibagikan):\n{link}"
)
ALREADY_SENT = "Pengaduan ini sudah terkirim dengan kode {code}."
DRAFT_GONE = "Draf pengaduan ini sudah tidak berlaku. Ketik /lapor untuk membuat yang baru."
VERIFYING = "sedang diverifikasi petugas"
CANCELLED = "Pengaduan dibatalkan. Ketik /lapor bila ingin membuat yang baru."
NOTHING_TO_CANCEL = "Tidak ada pengaduan yang sedang dibuat."
IN_FILING = {
    "text": "Tulis isi pengaduan Anda dalam bentuk teks, atau /batal.",
    "place": "Kirim lokasi, ketik 'kabupaten/kota, kecamatan', atau /lewati.",
    "files": "Kirim foto atau PDF, lalu /selesai; atau /lewati.",
    "choice": "Pilih salah satu tombol di atas, atau /batal.",
}
NO_COMPLAINTS = "Anda belum pernah mengirim pengaduan lewat Telegram. Ketik /lapor untuk mulai."
YOUR_COMPLAINTS = "Pengaduan Anda:\n{lines}\n\nDetail: /status KODE"
INFO_THANKS = "Terima kasih. Keterangan Anda untuk {code} sudah diteruskan ke OPD."
RATE_THANKS = "Terima kasih atas penilaian Anda ({rating}/5). Pengaduan {code} ditutup."
REOPENED = "Pengaduan {code} dibuka kembali dan dikembalikan ke OPD."
REOPEN_MARK = "belum selesai?"
REOPEN_ASK = (
    "Pengaduan {code} belum selesai?\n"
    "Balas (reply) pesan ini dengan penjelasan apa yang belum selesai (minimal {min} karakter); "
    "pengaduan lalu dikembalikan ke OPD."
)
UNKNOWN_COMMAND = "Perintah tidak dikenal. " + WELCOME.split("\n\n", 1)[1]
HINT = (
    "Ketik /lapor untuk membuat pengaduan, atau /status untuk melihat pengaduan Anda. "
    "Untuk menjawab pertanyaan OPD, balas (reply) pesan pertanyaannya."
)
FLOOD = "Terlalu banyak pesan dalam waktu singkat. Tunggu sebentar, lalu coba lagi."
ERROR = "Maaf, terjadi gangguan di sistem kami. Coba lagi sebentar lagi."
YES, NO = "Ya", "Tidak"
SEND, CANCEL = "Kirim", "Batal"
