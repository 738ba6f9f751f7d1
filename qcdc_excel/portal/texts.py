"""What the web desk's pages say, in Vietnamese and English (key -> (vi, en))."""
from __future__ import annotations

TEXTS: dict[str, tuple[str, str]] = {
    "app": ("Cổng nộp báo cáo QCDC", "QCDC report desk"),
    "app-sub": ("Phụ lục số liệu thực hiện dân chủ ở cơ sở", "Grassroots democracy data appendix"),
    "lang-other": ("English", "Tiếng Việt"),
    "logout": ("Đăng xuất", "Sign out"),
    "login-title": ("Đăng nhập", "Sign in"),
    "login-help": ("Mở đường link cá nhân mà Văn phòng Ban Chỉ đạo đã gửi (qua Zalo hoặc thư điện tử), "
                   "hoặc dán mã truy cập vào ô dưới đây.",
                   "Open the personal link the steering committee's office sent you (by Zalo or e-mail), or "
                   "paste your access code below."),
    "login-code": ("Mã truy cập", "Access code"),
    "login-button": ("Đăng nhập", "Sign in"),
    "login-failed": ("Mã truy cập không đúng hoặc đã được thay. Hãy dùng đường link mới nhất Văn phòng BCĐ gửi, "
                     "hoặc liên hệ Văn phòng để được cấp lại.",
                     "This access code is wrong or has been replaced. Use the latest link the office sent, or ask "
                     "the office for a new one."),
    "login-limited": ("Mã truy cập không đúng, và đã có nhiều lần nhập sai từ địa chỉ mạng này: hãy đợi {wait} "
                      "rồi thử lại. Mã đúng (đường link mới nhất Văn phòng BCĐ gửi) vẫn vào được ngay.",
                      "This access code is wrong, and many wrong codes came from this network address: wait {wait} "
                      "and try again. A right code (the latest link the office sent) still gets in at once."),
    "signed-out": ("Đã đăng xuất.", "Signed out."),
    "sign-out-all": ("Đăng xuất mọi người", "Sign everyone out"),
    "sign-out-all-help": ("Kết thúc mọi phiên đăng nhập đang mở của các đơn vị và của Văn phòng trên mọi máy (trừ "
                          "phiên này), ví dụ khi một máy dùng chung bị quên đăng xuất. Mã truy cập không đổi.",
                          "Ends every open session of the units and of the office on every computer (except this "
                          "one), e.g. when a shared computer was left signed in. Access codes stay the same."),
    "sign-out-all-confirm": ("Mọi người đang đăng nhập sẽ phải mở lại đường link của mình. Tiếp tục?",
                             "Everyone signed in will have to open their link again. Go on?"),
    "signed-out-all": ("Đã đăng xuất mọi phiên khác.", "Every other session was signed out."),
    "session-expired": ("Phiên làm việc đã hết hạn hoặc trang đã cũ. Hãy tải lại trang rồi làm lại.",
                        "Your session expired or the page is out of date. Reload the page and try again."),
    "forbidden": ("Bạn không có quyền xem trang này.", "You may not see this page."),
    "not-found": ("Không tìm thấy trang hoặc tệp này.", "This page or file does not exist."),
    "too-large": ("Tệp quá lớn: mỗi tệp tối đa {limit} MB. Biểu mẫu đã điền chỉ khoảng 50 KB — hãy gửi đúng tệp "
                  "Excel của biểu mẫu.",
                  "File too large: at most {limit} MB per file. A filled form is about 50 KB — send the form's Excel file."),
    "server-error": ("Máy chủ gặp lỗi khi xử lý yêu cầu này. Tệp đã nhận (nếu có) vẫn được lưu. Hãy thử lại; nếu "
                     "vẫn lỗi, báo Văn phòng BCĐ.",
                     "The server failed on this request. Any file it received is kept. Try again; if it fails "
                     "again, tell the office."),
    "back": ("Quay lại", "Back"),
    # unit page
    "unit-round": ("Kỳ báo cáo", "Reporting period"),
    "deadline": ("Hạn nộp", "Deadline"),
    "no-deadline": ("không đặt hạn", "no deadline"),
    "step1": ("1. Tải biểu mẫu của đơn vị", "1. Download your unit's form"),
    "step1-help": ("Biểu mẫu Excel đã ghi sẵn mã, tên đơn vị và kỳ báo cáo. Chỉ điền vào các ô màu vàng, lưu "
                   "dạng .xlsx (Excel, WPS hoặc LibreOffice đều được).",
                   "The Excel form already carries your unit's code, name and period. Fill only the yellow "
                   "cells and save as .xlsx (Excel, WPS or LibreOffice all work)."),
    "download-template": ("Tải biểu mẫu", "Download the form"),
    "step2": ("2. Gửi tệp đã điền", "2. Send the filled file"),
    "sent-for-other": ("Đã gửi báo cáo của {units} (không được tính)", "Sent the report of {units} (does not count)"),
    "received-on": ("Ngày Văn phòng nhận tệp:", "Day the office received the files:"),
    "received-on-help": ("(tệp nhận qua thư, Zalo; để trống là hôm nay — dùng để tính đúng hạn hay nộp muộn)",
                         "(files received by mail or Zalo; empty means today — used to judge on time or late)"),
    "received-on-invalid": ("Ngày nhận không hợp lệ: chọn một ngày không sau hôm nay.",
                            "Invalid received date: choose a day not after today."),
    "drop-here": ("Kéo thả tệp vào đây, hoặc bấm để chọn tệp", "Drop files here, or click to choose"),
    "drop-here-touch": ("Bấm vào đây để chọn tệp", "Tap here to choose files"),
    "dismiss": ("Ẩn", "Hide"),
    "dismiss-one": ("Ẩn kết quả này", "Hide this result"),
    "dismiss-all": ("Ẩn các kết quả vừa gửi", "Hide these results"),
    "send": ("Gửi", "Send"),
    "uploading": ("Đang gửi…", "Sending…"),
    "checking": ("Đang kiểm tra…", "Checking…"),
    "step3": ("3. Kết quả kiểm tra", "3. Check result"),
    "history": ("Các lần đã gửi", "What you sent"),
    "no-history": ("Chưa gửi tệp nào.", "Nothing sent yet."),
    "latest": ("Lần gửi gần nhất", "Latest"),
    # statuses
    "status-accepted": ("Được chấp nhận", "Accepted"),
    "status-accepted-with-warnings": ("Được chấp nhận, có cảnh báo", "Accepted with warnings"),
    "status-rejected": ("Bị trả lại: cần sửa và gửi lại", "Returned: fix and resend"),
    "status-unreadable": ("Không đọc được", "Unreadable"),
    "status-refused": ("Bị từ chối", "Refused"),
    "status-received": ("Đã nhận, đang kiểm tra", "Received, being checked"),
    "review-approve": ("Văn phòng đã duyệt", "Approved by the office"),
    "review-return": ("Văn phòng trả lại", "Returned by the office"),
    "state-on-time": ("Đúng hạn", "On time"),
    "state-late": ("Nộp muộn", "Late"),
    "state-returned": ("Bị trả lại", "Returned"),
    "state-missing": ("Chưa nộp", "Missing"),
    "state-approved": ("Đã duyệt", "Approved"),
    "state-all": ("Tất cả", "All"),
    # verdict
    "verdict": ("Kết quả kiểm tra", "Check result"),
    "file": ("Tệp", "File"),
    "received-at": ("Thời điểm nhận", "Received"),
    "sender": ("Người gửi", "Sent by"),
    "unit": ("Đơn vị", "Unit"),
    "period": ("Kỳ", "Period"),
    "findings": ("Những điểm cần sửa", "What to fix"),
    "fix-and-resend": ("Đề nghị đơn vị sửa theo ý kiến của Văn phòng và gửi lại.",
                       "Please fix what the office says and send the file again."),
    "history-stale": ("Chưa cập nhật được trang: bấm vào đây để tải lại.",
                      "The page could not be updated: click here to reload it."),
    "standing": ("Tình hình báo cáo của đơn vị", "Where your report stands"),
    "standing-missing": ("Chưa có báo cáo nào được tính cho kỳ này: đơn vị còn phải gửi báo cáo.",
                         "No report counts for this period yet: your report is still owed."),
    "standing-returned": ("Báo cáo bị trả lại: đơn vị còn phải sửa và gửi lại.",
                          "Your report was returned: it is still owed — fix it and send it again."),
    "standing-on-time": ("Đã nhận báo cáo, đúng hạn: đơn vị không phải gửi thêm.",
                         "Your report was received on time: nothing more to send."),
    "standing-late": ("Đã nhận báo cáo, sau hạn nộp: đơn vị không phải gửi thêm.",
                      "Your report was received after the deadline: nothing more to send."),
    "standing-approved": ("Văn phòng đã duyệt báo cáo: đơn vị không phải gửi thêm.",
                          "The office approved your report: nothing more to send."),
    "counting": ("Tệp đang được tính", "The file that counts"),
    "counting-none": ("Chưa có tệp nào được tính.", "No file counts yet."),
    "office-word": ("Ý kiến mới nhất của Văn phòng", "The office's latest word"),
    "office-none": ("Văn phòng chưa có ý kiến.", "The office has not said anything yet."),
    "on-file": ("về tệp", "on the file"),
    "status-archive": ("Tệp nén (đã giải nén)", "Archive (unpacked)"),
    "parent-own": ("Báo cáo riêng của {name}", "{name}'s own report"),
    "no-findings": ("Không có lỗi nào. Cảm ơn đơn vị.", "Nothing to fix. Thank you."),
    "no-findings-desk": ("Không có lỗi nào.", "Nothing to fix."),
    "severity-error": ("Lỗi", "Error"),
    "severity-warning": ("Cảnh báo", "Warning"),
    "cell": ("Ô", "Cell"),
    "link-receipt": ("Tải biên nhận", "Download the receipt"),
    "link-receipt-warnings": ("Tải biên nhận (kèm cảnh báo)", "Download the receipt (with warnings)"),
    "link-feedback": ("Tải tệp góp ý (chính tệp đã gửi, ô sai tô đỏ)",
                      "Download the feedback copy (the file sent, wrong cells in red)"),
    "link-feedback-short": ("Tải tệp góp ý", "Feedback copy"),
    "link-note": ("Tải ghi chú lỗi", "Download the error note"),
    "original": ("Tệp gốc", "Original file"),
    "comment": ("Ý kiến của Văn phòng", "The office's comment"),
    "counts-yes": ("Đang được tính vào tổng hợp", "Counts in the consolidation"),
    "counts-no": ("Không được tính", "Does not count"),
    "details": ("Xem", "View"),
    # desk
    "desk": ("Theo dõi nộp báo cáo", "Submissions"),
    "desk-round": ("Đợt", "Round"),
    "expected": ("Phải nộp", "Expected"),
    "search": ("Tìm đơn vị (tên hoặc mã)", "Find a unit (name or code)"),
    "no-match": ("Không có đơn vị nào khớp «{q}».", "No unit matches '{q}'."),
    "filter": ("Lọc", "Filter"),
    "code": ("Mã", "Code"),
    "name": ("Tên đơn vị", "Unit"),
    "state": ("Tình trạng", "State"),
    "files": ("Số tệp", "Files"),
    "last-sent": ("Gửi lần cuối", "Last sent"),
    "report-date": ("Ngày báo cáo", "Report date"),
    "desk-upload": ("Nhận tệp từ Zalo, thư điện tử", "Files received by Zalo or e-mail"),
    "desk-upload-help": ("Kéo thả các tệp (nhiều tệp cùng lúc, hoặc một tệp .zip). Mỗi tệp được gán cho đơn vị "
                         "theo trang định danh trong tệp; tệp của đơn vị ngoài danh sách hay kỳ khác vẫn được lưu "
                         "và liệt kê bên dưới.",
                         "Drop the files (many at once, or a .zip). Each is attributed to its unit by the identity "
                         "sheet inside; a file of a unit outside the roster or of another period is kept and listed below."),
    "outputs": ("Kết quả của đợt", "Round outputs"),
    "consolidated": ("Sổ tổng hợp (.xlsx)", "Consolidated workbook (.xlsx)"),
    "report-json": ("Báo cáo JSON", "JSON report"),
    "report-docx": ("Dự thảo báo cáo Word", "Draft Word report"),
    "templates-zip": ("Tất cả biểu mẫu riêng (.zip)", "All personal forms (.zip)"),
    "chase": ("Đơn vị cần nhắc", "Units to chase"),
    "all-submissions": ("Tất cả tệp đã nhận", "Every file received"),
    "others": ("Tệp không thuộc đơn vị nào phải nộp", "Files of no expected unit"),
    "rounds": ("Các đợt", "Rounds"),
    "open-round": ("Mở đợt mới", "Open a new round"),
    "open-round-help": ("Đợt mới dùng danh sách đơn vị và đơn vị tổng hợp hiện tại; các đợt trước vẫn xem được.",
                        "The new round keeps the current roster and parent; earlier rounds stay readable."),
    "round-opened": ("Đã mở đợt {period}.", "Round {period} opened."),
    "current": ("hiện tại", "current"),
    "opened": ("Mở ngày", "Opened"),
    "view": ("Xem", "View"),
    "unit-history": ("Lịch sử nộp của đơn vị", "The unit's history"),
    "review": ("Xét duyệt", "Review"),
    "approve": ("Duyệt", "Approve"),
    "return": ("Trả lại", "Return"),
    "clear": ("Bỏ xét duyệt", "Undo review"),
    "return-comment": ("Lý do trả lại (đơn vị sẽ thấy)", "Why it is returned (the unit will see this)"),
    "reviewed": ("Đã cập nhật {n} tệp.", "{n} files updated."),
    "review-none": ("Không có tệp nào đổi trạng thái (chỉ duyệt được tệp đã được chấp nhận).",
                    "No file changed (only accepted files can be approved)."),
    "select": ("Chọn", "Select"),
    "select-all": ("Chọn tất cả", "Select all"),
    "review-log": ("Nhật ký xét duyệt", "Review log"),
    "chase-help": ("Danh sách các đơn vị chưa nộp hoặc bị trả lại, có sẵn lời nhắn để dán vào Zalo. Mã truy cập "
                   "chỉ được in ra một lần (trong tệp mã khi khởi tạo): muốn gửi kèm đường link, bấm «Cấp link mới» "
                   "— link cũ của các đơn vị này sẽ hết hiệu lực.",
                   "The units that have not sent, or were returned, with a message ready to paste into Zalo. "
                   "Access codes are shown only once (in the codes file made at setup): to include links, press "
                   "'Issue new links' — these units' old links stop working."),
    "chase-message": ("Lời nhắn", "Message"),
    "copy": ("Chép", "Copy"),
    "copied": ("Đã chép", "Copied"),
    "reissue": ("Cấp link mới cho các đơn vị này", "Issue new links for these units"),
    "reissue-confirm": ("Link cũ của các đơn vị này sẽ hết hiệu lực. Tiếp tục?", "These units' old links will stop working. Go on?"),
    "reissued": ("Link mới (chỉ hiện một lần; hãy gửi ngay):", "New links (shown once; send them now):"),
    "nobody": ("Không còn đơn vị nào phải nhắc.", "Nobody left to chase."),
    "action": ("Thao tác", "Action"),
    "at": ("Lúc", "At"),
    "who": ("Người", "Who"),
    "admin-name": ("Văn phòng BCĐ", "Steering committee office"),
    "nothing-yet": ("Chưa có tệp nào được tính cho kỳ này: chưa thể tổng hợp.", "No file counts for this period yet."),
    "archive": ("Tệp nén", "Archive"),
}


def duration(seconds: int, lang: str = "vi") -> str:
    """``seconds`` as the pages say it, exactly (75 -> «1 phút 15 giây»): the same wait as Retry-After."""
    minutes, secs = divmod(int(seconds), 60)
    unit_m, unit_s = ("phút", "giây") if lang != "en" else ("min", "s")
    parts = ([f"{minutes} {unit_m}"] if minutes else []) + ([f"{secs} {unit_s}"] if secs or not minutes else [])
    return " ".join(parts)


def text(key: str, lang: str = "vi", **params: object) -> str:
    vi, en = TEXTS[key]
    out = en if lang == "en" else vi
    return out.format(**params) if params else out
