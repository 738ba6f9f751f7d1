"""User-facing text in Vietnamese (default) and English.

Every message a person reads goes through :func:`t`, so a finding or an error is data (a key and
its parameters) until it is rendered in the language the caller asked for.
"""
from __future__ import annotations

import gettext
import unicodedata

LANGS = ("vi", "en")

MESSAGES: dict[str, dict[str, str]] = {
    # --- catalog loader -------------------------------------------------------------------
    "catalog-unreadable": {
        "vi": "Không đọc được danh mục chỉ tiêu {path}: {reason}",
        "en": "Cannot read the indicator catalog {path}: {reason}",
    },
    "catalog-unknown-version": {
        "vi": "Không có danh mục chỉ tiêu phiên bản “{version}”. Các phiên bản đã biết: {known}",
        "en": "No indicator catalog of version '{version}'. Known versions: {known}",
    },
    "catalog-entry": {
        "vi": "Danh mục {path}, {where}: {reason}",
        "en": "Catalog {path}, {where}: {reason}",
    },
    # --- roster loader --------------------------------------------------------------------
    "roster-error": {
        "vi": "Danh sách đơn vị {path}, dòng {row}: {reason}",
        "en": "Roster {path}, row {row}: {reason}",
    },
    "roster-file-error": {
        "vi": "Danh sách đơn vị {path}: {reason}",
        "en": "Roster {path}: {reason}",
    },
    "roster-codes-as-numbers": {
        "vi": "Danh sách đơn vị {path}: mã ở dòng {rows} được lưu dạng số nên mất số 0 ở đầu; đã đọc lại "
              "đủ số chữ số theo cấp (ví dụ {example}). Hãy định dạng các cột mã là Văn bản (Text) trong tệp "
              "danh sách.",
        "en": "Roster {path}: the codes on rows {rows} were stored as numbers and lost their leading zeros; "
              "they were read back at their level's width (e.g. {example}). Format the code columns as Text "
              "in the roster file.",
    },
    # --- periods ----------------------------------------------------------------------------
    "period-invalid": {
        "vi": "Kỳ báo cáo “{value}” không hợp lệ. Dùng dạng 2023Q1 … 2023Q4 (quý), 2023S1, 2023S2 "
              "(6 tháng) hoặc 2023 (năm).",
        "en": "Invalid reporting period '{value}'. Use 2023Q1 … 2023Q4 (quarter), 2023S1, 2023S2 "
              "(half-year) or 2023 (year).",
    },
    "level-invalid": {
        "vi": "Cấp “{value}” không hợp lệ. Dùng tinh, huyen hoặc xa.",
        "en": "Invalid level '{value}'. Use tinh (province), huyen (district) or xa (commune).",
    },
    "unit-not-in-roster": {
        "vi": "Mã đơn vị “{code}” không có trong danh sách đơn vị {path}.",
        "en": "Unit code '{code}' is not in the roster {path}.",
    },
    "cli-code-zero-lost": {
        "vi": "{option} {shown}: hiểu là mã {code} ({name}) trong danh sách đơn vị; mã đơn vị giữ số 0 ở đầu.",
        "en": "{option} {shown}: taken as {code} ({name}) from the roster; unit codes keep their leading zeros.",
    },
    "template-needs-roster": {
        "vi": "Cần chỉ ra danh sách đơn vị (--roster) khi dùng --all hoặc --unit.",
        "en": "--all and --unit need a roster (--roster).",
    },
    "template-all-and-unit": {
        "vi": "Chỉ dùng một trong hai: --all hoặc --unit.",
        "en": "Use either --all or --unit, not both.",
    },
    "template-roster-needs-selection": {
        "vi": "Đã có danh sách đơn vị: thêm --all (mọi đơn vị) hoặc --unit MÃ (từng đơn vị).",
        "en": "A roster was given: add --all (every unit) or --unit CODE (one unit each).",
    },
    "template-level-mismatch": {
        "vi": "Đơn vị {code} ({name}) thuộc cấp {unit_level}, không phải cấp {level}.",
        "en": "Unit {code} ({name}) is at level {unit_level}, not {level}.",
    },
    "template-no-units": {
        "vi": "Danh sách đơn vị không có đơn vị nào cấp {level}.",
        "en": "The roster has no unit at level {level}.",
    },
    "history-invalid": {
        "vi": "Tệp kỳ trước (--previous) {path} không dùng được: {reason}. Hãy đưa sổ tổng hợp (.xlsx) hoặc tệp "
              "JSON do lệnh “qcdc-excel merge” ghi cho kỳ đó.",
        "en": "The previous-period file (--previous) {path} cannot be used: {reason}. Give the consolidated "
              "workbook (.xlsx) or the JSON file that 'qcdc-excel merge' wrote for that period.",
    },
    # --- rollup: the half-year and the year from the quarters ------------------------------------------
    "rollup-input-invalid": {
        "vi": "Tệp {path} không dùng để tổng hợp được: {reason}. Hãy đưa sổ tổng hợp (.xlsx) hoặc tệp JSON do "
              "lệnh “qcdc-excel merge” ghi cho từng quý.",
        "en": "{path} cannot be rolled up: {reason}. Give the consolidated workbook (.xlsx) or the JSON file "
              "that 'qcdc-excel merge' wrote for each quarter.",
    },
    "rollup-period-kind": {
        "vi": "--period {value}: chỉ tổng hợp được 6 tháng (ví dụ 2025S1, 2025S2) hoặc cả năm (ví dụ 2025) từ các quý.",
        "en": "--period {value}: only a half-year (e.g. 2025S1, 2025S2) or a year (e.g. 2025) can be built from "
              "its quarters.",
    },
    "rollup-part-outside": {
        "vi": "Tệp {path} là số liệu {part}, không phải một quý (hoặc 6 tháng) của {period}. Chỉ đưa các tệp của "
              "những kỳ nằm trong {period}.",
        "en": "{path} holds the figures of {part}, not a quarter (or half-year) of {period}. Give only files of "
              "the periods inside {period}.",
    },
    "rollup-overlap": {
        "vi": "Các tệp {first} ({first_period}) và {second} ({second_period}) cùng tính {quarter}: số liệu sẽ bị "
              "cộng hai lần. Chỉ đưa một tệp cho mỗi quý.",
        "en": "{first} ({first_period}) and {second} ({second_period}) both count {quarter}: the figures would be "
              "added twice. Give one file for each quarter.",
    },
    "rollup-parents-differ": {
        "vi": "Các tệp không cùng một đơn vị tổng hợp: {first} là của {first_parent}, {second} là của "
              "{second_parent}. Chỉ đưa sổ tổng hợp các kỳ của cùng một đơn vị.",
        "en": "The files are not of the same consolidating unit: {first} is {first_parent}'s, {second} is "
              "{second_parent}'s. Give the consolidated workbooks of one unit's periods.",
    },
    "rollup-catalogs-differ": {
        "vi": "Các tệp theo hai danh mục chỉ tiêu khác nhau: {first} ({first_version}) và {second} "
              "({second_version}); không cộng dồn được.",
        "en": "The files follow two different indicator catalogs: {first} ({first_version}) and {second} "
              "({second_version}); they cannot be added up.",
    },
    "rollup-empty": {
        "vi": "Các tệp {path} không có số liệu của đơn vị nào; không có gì để tổng hợp.",
        "en": "The files {path} hold no unit's figures; there is nothing to roll up.",
    },
    "rollup-gap-period": {
        "vi": "Thiếu số liệu {period}: không có sổ tổng hợp của kỳ này.",
        "en": "{period} is missing: no consolidated workbook of that period was given.",
    },
    "rollup-gap-unit": {
        "vi": "{name} ({unit}) không có số liệu {period}.",
        "en": "{name} ({unit}) has no figures for {period}.",
    },
    "rollup-derived": {
        "vi": "Tổng hợp từ số liệu các quý: {parts}.",
        "en": "Built from the quarters' figures: {parts}.",
    },
    "rollup-gaps": {
        "vi": "Còn {count} chỗ thiếu số liệu (xem trang “Nguồn tổng hợp”).",
        "en": "{count} gaps in the figures (see the sheet 'Nguồn tổng hợp').",
    },
    "rollup-complete": {
        "vi": "Đủ số liệu mọi quý của mọi đơn vị.",
        "en": "Every unit's figures for every quarter are there.",
    },
    "template-prefilled": {
        "vi": "{count} biểu mẫu đã điền sẵn số liệu cộng dồn từ các quý ({sources}); đơn vị kiểm tra, bổ sung quý "
              "còn lại rồi gửi như thường lệ.",
        "en": "{count} forms prefilled with the figures rolled up from the quarters ({sources}); the units check "
              "them, add the remaining quarter and send them as usual.",
    },
    "template-prefill-needs-units": {
        "vi": "--prefill-from cần --roster với --all hoặc --unit, và --period là 6 tháng hoặc năm.",
        "en": "--prefill-from needs --roster with --all or --unit, and a --period that is a half-year or a year.",
    },
    "history-duplicate": {
        "vi": "Đơn vị {unit} có hai bộ số liệu {period} trong các tệp kỳ trước: {first} và {second}. Chỉ đưa một tệp "
              "cho mỗi kỳ.",
        "en": "Unit {unit} has two sets of figures for {period_en} among the previous-period files: {first} and "
              "{second}. Give one file per period.",
    },
    "file-not-found": {
        "vi": "Không tìm thấy tệp hoặc thư mục: {path}",
        "en": "File or folder not found: {path}",
    },
    "deadline-invalid": {
        "vi": "Hạn nộp “{value}” không hợp lệ; ghi dạng YYYY-MM-DD, ví dụ 2023-06-15.",
        "en": "Invalid deadline '{value}'; use YYYY-MM-DD, e.g. 2023-06-15.",
    },
    "report-date-invalid": {
        "vi": "Ngày ban hành báo cáo “{value}” (--date) không hợp lệ; ghi dạng YYYY-MM-DD, ví dụ 2020-10-30.",
        "en": "Invalid report date '{value}' (--date); use YYYY-MM-DD, e.g. 2020-10-30.",
    },
    "template-written": {
        "vi": "Đã tạo {count} biểu mẫu trong thư mục {out}",
        "en": "Wrote {count} template(s) to {out}",
    },
    # --- catalog YAML syntax --------------------------------------------------------------
    "catalog-yaml-syntax": {
        "vi": "Danh mục {path}, dòng {line}, cột {column}: cú pháp YAML không hợp lệ ({problem}). "
              "Sửa tệp rồi chạy lại.",
        "en": "Catalog {path}, line {line}, column {column}: invalid YAML syntax ({problem}). "
              "Fix the file and run again.",
    },
    "yaml-bad-indent": {
        "vi": "thụt lề không khớp với các dòng phía trên",
        "en": "the indentation does not match the lines above",
    },
    "yaml-unclosed-quote": {
        "vi": "dấu nháy mở ở dòng {line}, cột {column} chưa được đóng",
        "en": "the quote opened at line {line}, column {column} is never closed",
    },
    "yaml-unclosed-bracket": {
        "vi": "thiếu dấu “{bracket}” đóng cho dấu mở ở dòng {line}, cột {column}",
        "en": "the '{bracket}' closing the bracket opened at line {line}, column {column} is missing",
    },
    "yaml-tab": {
        "vi": "có ký tự tab; YAML chỉ thụt lề bằng dấu cách",
        "en": "a tab character; YAML indents with spaces only",
    },
    "yaml-colon": {
        "vi": "dấu “:” không được đặt ở đây: thụt lề sai, hoặc giá trị có dấu “:” cần đặt trong dấu nháy",
        "en": "a ':' is not allowed here: wrong indentation, or a value containing ':' needs quotes",
    },
    "yaml-missing-colon": {
        "vi": "thiếu dấu “:” sau tên khóa",
        "en": "a ':' is missing after a key",
    },
    "yaml-undefined-alias": {
        "vi": "tham chiếu “*{name}” chưa được định nghĩa",
        "en": "the alias '*{name}' is not defined",
    },
    "yaml-unsupported-tag": {
        "vi": "thẻ YAML “{tag}” không được hỗ trợ",
        "en": "the YAML tag '{tag}' is not supported",
    },
    "yaml-other": {
        "vi": "kiểm tra thụt lề (chỉ dùng dấu cách), dấu “:”, dấu “-” và dấu nháy ở chỗ này; chi tiết: {detail}",
        "en": "check the indentation (spaces only), ':', '-' and quotes here; details: {detail}",
    },
    "catalog-not-found": {
        "vi": "không tìm thấy tệp",
        "en": "file not found",
    },
    "catalog-is-a-folder": {
        "vi": "đây là một thư mục, cần một tệp .yaml",
        "en": "this is a folder; a .yaml file is needed",
    },
    "catalog-not-utf8": {
        "vi": "tệp không phải văn bản UTF-8",
        "en": "the file is not UTF-8 text",
    },
    # --- command-line usage -----------------------------------------------------------------
    "template-level-missing": {
        "vi": "Thiếu tùy chọn --level: cho biết cấp của biểu mẫu trống (tinh, huyen hoặc xa), ví dụ "
              "--level xa; hoặc dùng --roster DS.csv với --all/--unit để tạo biểu mẫu riêng cho từng đơn vị.",
        "en": "Missing option --level: say the level of the blank form (tinh, huyen or xa), e.g. --level xa; "
              "or use --roster LIST.csv with --all/--unit for one form per unit.",
    },
    "template-needs-period": {
        "vi": "Biểu mẫu riêng cho từng đơn vị (--all, --unit) cần kỳ báo cáo: thêm --period, ví dụ "
              "--period 2023 hoặc --period 2023Q1.",
        "en": "Personalised templates (--all, --unit) need a reporting period: add --period, e.g. "
              "--period 2023 or --period 2023Q1.",
    },
    "merge-parent-needs-roster": {
        "vi": "--parent {code} cần danh sách đơn vị: thêm --roster DS.csv (danh sách có đơn vị {code} "
              "và các đơn vị trực thuộc), hoặc bỏ --parent để tự xác định đơn vị tổng hợp.",
        "en": "--parent {code} needs a roster: add --roster LIST.csv (listing unit {code} and the units "
              "under it), or leave out --parent to find the parent unit automatically.",
    },
    "output-suffix": {
        "vi": "{option} {path}: {what} phải là tệp có đuôi {suffix}, ví dụ {example}.",
        "en": "{option} {path}: {what} must be a file ending in {suffix}, e.g. {example}.",
    },
    "output-not-writable": {
        "vi": "Không ghi được {path} ({option}): {reason}. Hãy chọn cho {option} một đường dẫn trong "
              "thư mục bạn có quyền ghi rồi chạy lại.",
        "en": "Cannot write {path} ({option}): {reason}. Choose for {option} a path in a folder you "
              "can write to and run again.",
    },
    "output-is-input": {
        "vi": "{option} {path}: tệp kết quả sẽ ghi đè hoặc nằm lẫn trong các tệp đang được đọc ({input}). "
              "Không ghi gì cả. Hãy chọn chỗ ghi ở ngoài hộp thư, ví dụ cạnh nó: ket-qua/…",
        "en": "{option} {path}: the output would replace or land among the files being read ({input}). "
              "Nothing was written. Choose a place outside the inbox, e.g. beside it: results/…",
    },
    "feedback-dir-in-inbox": {
        "vi": "Lưu ý: thư mục tệp góp ý {path} nằm trong hộp thư {inbox}. Tệp góp ý do qcdc-excel tạo được "
              "nhận ra và bỏ qua ở lần đọc sau, nhưng nên để thư mục góp ý ở ngoài hộp thư.",
        "en": "Note: the feedback folder {path} is inside the inbox {inbox}. Feedback files made by "
              "qcdc-excel are recognised and skipped by the next run, but keep the feedback folder outside "
              "the inbox.",
    },
    "unsafe-output-name": {
        "vi": "Tên tệp {name} không nằm gọn trong thư mục {folder}: không ghi.",
        "en": "The file name {name} does not stay inside the folder {folder}: not written.",
    },
    "template-would-replace": {
        "vi": "Thư mục {out} đã có {count} tệp không phải biểu mẫu trống do qcdc-excel tạo (có thể là báo cáo "
              "đơn vị đã điền và gửi về): {files}. Không ghi gì cả, không tệp nào bị thay. Hãy chọn thư mục "
              "khác cho --out, ví dụ {suggest}.",
        "en": "The folder {out} already holds {count} file(s) that are not blank forms made by qcdc-excel "
              "(perhaps reports units filled in and sent back): {files}. Nothing was written and no file "
              "was replaced. Choose another folder for --out, e.g. {suggest}.",
    },
    "output-write-failed": {
        "vi": "Lỗi khi ghi {path}: {reason}. Kiểm tra chỗ trống trên ổ đĩa và quyền ghi thư mục "
              "(hoặc chọn thư mục khác) rồi chạy lại.",
        "en": "Failed to write {path}: {reason}. Check the free disk space and the folder's permissions "
              "(or choose another folder) and run again.",
    },
    "io-failed": {
        "vi": "Lỗi khi đọc hoặc ghi {path}: {reason}.",
        "en": "Failed to read or write {path}: {reason}.",
    },
    "reason-under-file": {
        "vi": "{blocker} là một tệp, không phải thư mục",
        "en": "{blocker} is a file, not a folder",
    },
    "reason-is-folder": {
        "vi": "đây là một thư mục, cần tên một tệp, ví dụ {example}",
        "en": "this is a folder; a file name is needed, e.g. {example}",
    },
    "reason-is-file": {
        "vi": "đây là một tệp, cần một thư mục",
        "en": "this is a file; a folder is needed",
    },
    "reason-no-permission": {
        "vi": "không có quyền ghi vào thư mục {folder}",
        "en": "no permission to write in the folder {folder}",
    },
    "reason-read-only": {
        "vi": "thư mục {folder} nằm trên ổ chỉ đọc",
        "en": "the folder {folder} is on a read-only disk",
    },
    "reason-cannot-create": {
        "vi": "không tạo được tệp trong {folder} (thư mục của hệ thống hoặc không còn tồn tại)",
        "en": "files cannot be created in {folder} (a system folder, or it no longer exists)",
    },
    "reason-disk-full": {
        "vi": "ổ đĩa đã đầy (hoặc hết hạn mức)",
        "en": "the disk is full (or the quota is used up)",
    },
    "reason-name-too-long": {
        "vi": "tên tệp hoặc đường dẫn quá dài",
        "en": "the file name or path is too long",
    },
    "reason-name-invalid": {
        "vi": "tên có ký tự không dùng được trong tên tệp (ký tự NUL)",
        "en": "the name holds a character no file name may hold (NUL)",
    },
    "reason-os-error": {
        "vi": "lỗi hệ thống {name}",
        "en": "system error {name} ({detail})",
    },
    "report-not-accepted": {
        "vi": "Không viết báo cáo từ {path}: tệp chưa được chấp nhận ({problems}). Hãy sửa và kiểm tra lại "
              "(qcdc-excel validate) rồi chạy lại.",
        "en": "No report from {path}: the file is not accepted ({problems}). Fix it, validate it again "
              "(qcdc-excel validate) and run this again.",
    },
    "report-no-period": {
        "vi": "Không viết được báo cáo cho {path}: không xác định được kỳ báo cáo; hãy ghi --period.",
        "en": "Cannot write the report for {path}: no reporting period; give --period.",
    },
    "report-style": {
        "vi": "Kiểu văn bản “{value}” không có; dùng một trong: {known}.",
        "en": "No document style '{value}'; use one of: {known}.",
    },
    "report-unknown-tag": {
        "vi": "Thẻ “{tag}” trong mẫu Word {path} dùng tên “{name}” không có{where}.{hint} Các tên dùng được: "
              "{known} (xem README, mục “Báo cáo Word”). Sửa thẻ trong Word rồi chạy lại.",
        "en": "The tag '{tag}' in the Word template {path} uses '{name}', which does not exist{where}.{hint} "
              "Names a template can use: {known} (see the README, 'Word report'). Fix the tag in Word and run again.",
    },
    "report-template-syntax": {
        "vi": "Mẫu Word {path}: {problem}{where}. Sửa thẻ trong Word rồi chạy lại.",
        "en": "Word template {path}: {problem}{where}. Fix the tag in Word and run again.",
    },
    "report-template-unreadable": {
        "vi": "Không đọc được mẫu báo cáo {path} ({reason}): cần một tệp Word .docx.",
        "en": "Cannot read the report template {path} ({reason}): a Word .docx file is needed.",
    },
    # --- PDF ------------------------------------------------------------------------------------
    "pdf-no-libreoffice": {
        "vi": "Cần LibreOffice để xuất PDF nhưng không tìm thấy chương trình soffice. Cài LibreOffice "
              "(libreoffice.org; trên Debian/Ubuntu: gói libreoffice-calc-nogui) rồi chạy lại; các tệp Excel vẫn dùng được.",
        "en": "LibreOffice is needed to write PDF but soffice was not found. Install LibreOffice (libreoffice.org; "
              "on Debian/Ubuntu: libreoffice-calc-nogui) and run again; the Excel files are unaffected.",
    },
    "pdf-not-found": {
        "vi": "Không tìm thấy tệp {path}.",
        "en": "File not found: {path}.",
    },
    "pdf-would-replace-input": {
        "vi": "{path}: tệp PDF sẽ ghi đè một tệp đang được đọc; không ghi. Hãy chọn --out là thư mục khác.",
        "en": "{path}: the PDF would replace a file being read; not written. Choose another folder for --out.",
    },
    "pdf-not-a-workbook": {
        "vi": "Không xuất PDF cho {path}: tệp không phải sổ Excel .xlsx đọc được. {reason}",
        "en": "No PDF for {path}: it is not a readable Excel .xlsx workbook. {reason}",
    },
    "pdf-failed": {
        "vi": "LibreOffice không xuất được PDF cho {path}: hãy mở tệp bằng Excel hoặc LibreOffice để xem tệp có hỏng không.",
        "en": "LibreOffice could not make a PDF of {path}: open it in Excel or LibreOffice to see whether it is damaged.",
    },
    # --- the web desk (qcdc-excel portal) ------------------------------------------------------
    "portal-not-initialised": {
        "vi": "Thư mục {path} chưa phải thư mục dữ liệu của cổng nộp báo cáo. Tạo bằng: qcdc-excel portal init --data {path} …",
        "en": "{path} is not a portal data folder. Create one with: qcdc-excel portal init --data {path} …",
    },
    "portal-exists": {
        "vi": "Thư mục {path} đã có dữ liệu cổng nộp báo cáo; không ghi đè. Dùng thư mục khác, hoặc “portal codes” để cấp lại mã.",
        "en": "{path} already holds a portal; nothing overwritten. Use another folder, or 'portal codes' to reissue a code.",
    },
    "portal-folder-not-empty": {
        "vi": "Thư mục {path} đã có tệp khác; hãy chỉ một thư mục mới hoặc trống cho dữ liệu cổng.",
        "en": "{path} already holds other files; give a new or empty folder for the portal's data.",
    },
    "portal-no-units": {
        "vi": "Đơn vị {code} không có đơn vị cấp dưới nào trong danh sách: không có ai để nộp báo cáo. Kiểm tra --parent.",
        "en": "Unit {code} has no units below it in the roster: nobody would report. Check --parent.",
    },
    "portal-unknown-unit": {
        "vi": "Không có đơn vị mã “{code}” trong cổng nộp báo cáo (dùng mã trong danh sách đơn vị, hoặc admin).",
        "en": "No unit '{code}' in the portal (use a code from the roster, or admin).",
    },
    "portal-round-exists": {
        "vi": "Đã có đợt nộp báo cáo kỳ {period}.",
        "en": "A round for {period} already exists.",
    },
    "portal-return-needs-comment": {
        "vi": "Khi trả lại báo cáo, hãy ghi rõ lý do để đơn vị biết cần sửa gì.",
        "en": "Say why when returning a report, so the unit knows what to fix.",
    },
    "portal-nothing-yet": {
        "vi": "Chưa có tệp nào được tính cho kỳ {period}: chưa thể tổng hợp.",
        "en": "No file counts for {period} yet: nothing to consolidate.",
    },
    "portal-busy-unit": {
        "vi": "Đơn vị đang có nhiều tệp chờ kiểm tra cùng lúc nên tệp này chưa được nhận. Hãy đợi khoảng {seconds} "
              "giây rồi gửi lại; các tệp gửi trước vẫn đang được kiểm tra.",
        "en": "Your unit already has several files waiting to be checked, so this one was not received. Wait about "
              "{seconds} seconds and send it again; the files sent before are still being checked.",
    },
    "portal-busy": {
        "vi": "Cổng nộp báo cáo đang kiểm tra rất nhiều tệp cùng lúc nên tệp này chưa được nhận. Hãy đợi khoảng "
              "{seconds} giây rồi gửi lại.",
        "en": "The desk is checking a great many files at once, so this one was not received. Wait about {seconds} "
              "seconds and send it again.",
    },
    "portal-port-in-use": {
        "vi": "Không mở được cổng nộp báo cáo tại {host}:{port}: cổng mạng {port} đang được một chương trình "
              "khác dùng (có thể cổng nộp báo cáo đã chạy rồi). Dừng chương trình đó, hoặc chọn cổng mạng khác, "
              "ví dụ --port {other}.",
        "en": "Cannot open the desk at {host}:{port}: port {port} is used by another program (perhaps the desk is "
              "already running). Stop that program, or choose another port, for example --port {other}.",
    },
    "portal-address-unavailable": {
        "vi": "Không mở được cổng nộp báo cáo tại {host}:{port}: máy này không có địa chỉ {host}. Dùng --host "
              "127.0.0.1 (chỉ máy này) hoặc --host 0.0.0.0 (mọi địa chỉ của máy).",
        "en": "Cannot open the desk at {host}:{port}: this computer has no address {host}. Use --host 127.0.0.1 "
              "(this computer only) or --host 0.0.0.0 (all its addresses).",
    },
    "portal-port-denied": {
        "vi": "Không được phép mở cổng nộp báo cáo tại {host}:{port} (các cổng mạng dưới 1024 cần quyền quản trị). "
              "Dùng cổng mạng từ 1024 trở lên, ví dụ --port 8750, và đặt máy chủ HTTPS phía trước.",
        "en": "Not allowed to open the desk at {host}:{port} (ports below 1024 need administrator rights). Use a "
              "port from 1024 up, for example --port 8750, behind an HTTPS server.",
    },
    "portal-bind-failed": {
        "vi": "Không mở được cổng nộp báo cáo tại {host}:{port} ({reason}). Kiểm tra --host và --port.",
        "en": "Cannot open the desk at {host}:{port} ({reason}). Check --host and --port.",
    },
    "portal-codes-out": {
        "vi": "Tệp mã truy cập phải có đuôi .xlsx hoặc .csv (ví dụ ma-truy-cap.xlsx).",
        "en": "The access-code file must end in .xlsx or .csv (for example codes.xlsx).",
    },
    "nothing-found": {
        "vi": "Không tìm thấy tệp báo cáo nào trong {path} (kể cả thư mục con): báo cáo là tệp Excel .xlsx "
              "điền từ biểu mẫu. Không ghi tệp nào.",
        "en": "No report file found in {path} (subfolders included): reports are Excel .xlsx files filled "
              "from the template. Nothing was written.",
    },
    "inbox-not-a-folder": {
        "vi": "{path} là một tệp, không phải thư mục: “merge” tổng hợp cả một thư mục (hộp thư) chứa các tệp "
              "đơn vị gửi về. Hãy chỉ thư mục chứa tệp này ({folder}), hoặc dùng “qcdc-excel validate {path}” "
              "để kiểm tra riêng tệp này.",
        "en": "{path} is a file, not a folder: 'merge' consolidates a whole folder (the inbox) holding the "
              "files units sent. Give the folder holding it ({folder}), or use 'qcdc-excel validate {path}' to "
              "check this file alone.",
    },
    "merge-consolidated-excluded": {
        "vi": "Cảnh báo: {path} là sổ tổng hợp của {unit}, không phải báo cáo {parent} phải nhận, nên không "
              "được tính ({note}). Nếu là sổ cũ để quên trong hộp thư, hãy chuyển ra chỗ khác.",
        "en": "Warning: {path} is the consolidated workbook of {unit}, not a report {parent} expects, so it "
              "does not count ({note}). If it is an old workbook left in the inbox, move it elsewhere.",
    },
    "merge-no-file-of-period": {
        "vi": "Cảnh báo: không tệp nào là kỳ {period} đang tổng hợp; các tệp ghi kỳ {found}. Kiểm tra lại --period.",
        "en": "Warning: no file is for {period}, the period being consolidated; the files say {found}. "
              "Check --period.",
    },
    "nothing-found-skipped": {
        "vi": "Đã bỏ qua {count} tệp:",
        "en": "Skipped {count} file(s):",
    },
}

# --- words: the short labels sheets, pages and the terminal show -------------------------------------------
# Every bilingual table has this one shape, key -> (Vietnamese, English), read with :func:`word`
# (like the desk's ``portal.texts`` and the findings' ``TEXTS``); sentences with parameters are MESSAGES.
WORDS: dict[str, tuple[str, str]] = {
    # the levels of units
    "level-tinh": ("Cấp tỉnh", "Province"),
    "level-huyen": ("Cấp huyện", "District"),
    "level-xa": ("Cấp xã", "Commune"),
    # how serious a finding is
    "severity-error": ("Lỗi", "Error"),
    "severity-warning": ("Cảnh báo", "Warning"),
    # why a file found in an inbox was not read (``inbox.collect_files`` and ``inbox.set_aside_copies``)
    "skip-lock-file": ("tệp khóa của Excel", "Excel lock file"),
    "skip-hidden-file": ("tệp ẩn", "hidden file"),
    "skip-not-a-spreadsheet": ("không phải bảng tính", "not a spreadsheet"),
    "skip-feedback-copy": ("tệp góp ý do qcdc-excel tạo: bỏ qua", "feedback file made by qcdc-excel: skipped"),
    # what the check of a submission found (``record.STATUSES``; ``record.status_label`` reads these rows)
    "validation-accepted": ("Đạt", "Accepted"),
    "validation-accepted-with-warnings": ("Đạt (có cảnh báo)", "Accepted with warnings"),
    "validation-rejected": ("Trả lại", "Returned"),
    "validation-unreadable": ("Không đọc được", "Unreadable"),
    # ... the same, as the terminal's verdict column shows it (``validate`` and ``merge``)
    "verdict-accepted": ("ĐẠT", "ACCEPTED"),
    "verdict-accepted-with-warnings": ("ĐẠT (CẢNH BÁO)", "ACCEPTED (WARNINGS)"),
    "verdict-rejected": ("TRẢ LẠI", "REJECTED"),
    "verdict-unreadable": ("KHÔNG ĐỌC ĐƯỢC", "UNREADABLE"),
    # ... and as the result line of a feedback copy's front sheet says it, with what to do
    "result-accepted": ("ĐƯỢC CHẤP NHẬN", "ACCEPTED"),
    "result-accepted-with-warnings": ("ĐƯỢC CHẤP NHẬN, CÓ CẢNH BÁO", "ACCEPTED WITH WARNINGS"),
    "result-rejected": ("CHƯA ĐƯỢC CHẤP NHẬN: CẦN SỬA VÀ GỬI LẠI", "REJECTED: FIX AND RESEND"),
    "result-unreadable": ("KHÔNG ĐỌC ĐƯỢC", "UNREADABLE"),
    # an expected unit in a consolidation (``consolidate.ExpectedUnit.status``)
    "unit-on-time": ("Đúng hạn", "On time"),
    "unit-late": ("Nộp muộn", "Late"),
    "unit-rejected": ("Bị trả lại", "Returned"),
    "unit-unreadable": ("Đã nộp — tệp không đọc được", "Sent — the file cannot be read"),
    "unit-missing": ("Chưa nộp", "Missing"),
    # what a consolidation did with a file (``record.ROLES``, ``consolidate.FileRole.role``)
    "role-used": ("Dùng để tổng hợp", "Used"),
    "role-superseded": ("Bị thay bằng bản sau", "Replaced by a later copy"),
    "role-duplicate": ("Bản trùng", "Duplicate"),
    "role-covered": ("Đã có trong báo cáo tổng hợp cấp dưới", "Already in a consolidated report below"),
    "role-rejected": ("Trả lại để sửa", "Returned to be fixed"),
    "role-unreadable": ("Không đọc được", "Unreadable"),
    "role-excluded": ("Không thuộc lần tổng hợp này", "Not part of this consolidation"),
    # the live state of a finding on a feedback copy's front sheet (``feedback_live``)
    "live-not-fixed": ("Chưa sửa", "Not fixed"),
    "live-fixed": ("Đã sửa", "Fixed"),
    "live-needs-form": ("Cần biểu mẫu gốc", "Needs the original form"),
    "live-none": ("—", "—"),
}


def check_lang(lang: str) -> str:
    if lang not in LANGS:
        raise ValueError(f"unsupported language {lang!r}; use one of {LANGS}")
    return lang


def t(key: str, lang: str = "vi", **params: object) -> str:
    """Render message ``key`` in ``lang`` with ``params``; always NFC."""
    params = {k: (v.get(lang) or v["vi"]) if isinstance(v, dict) and "vi" in v else v
              for k, v in params.items()}
    text = MESSAGES[key][check_lang(lang)].format(**params)
    return unicodedata.normalize("NFC", text)


# the kinds of commune-level unit, as their names begin (Decree 30 lists them in this order)
UNIT_KINDS = ("xã", "phường", "thị trấn", "đặc khu")


def unit_kinds(names) -> str | None:
    """What a set of commune-level units is called on paper, from their names: “Xã Kon Pne” and
    “Thị trấn Kbang” -> "xã, thị trấn"; None when a name does not say its kind."""
    import unicodedata

    found = set()
    for name in names:
        text = unicodedata.normalize("NFC", str(name)).casefold().strip()
        kind = next((k for k in UNIT_KINDS if text.startswith(k + " ")), None)
        if kind is None:
            return None
        found.add(kind)
    return ", ".join(k for k in UNIT_KINDS if k in found) or None


def word(key: str, lang: str = "vi") -> str:
    """The label ``key`` of :data:`WORDS` in ``lang``."""
    vi, en = WORDS[key]
    return en if check_lang(lang) == "en" else vi


def both(vi: str, en: str) -> dict[str, str]:
    """A message parameter that has its own Vietnamese and English wording."""
    return {"vi": vi, "en": en}


def pick(vi: str, en: str | None, lang: str) -> str:
    """Choose the Vietnamese or English rendering of a catalog string."""
    return en if (lang == "en" and en) else vi


def _by_key(prefix: str) -> dict[str, dict[str, str]]:
    return {key[len(prefix):]: both(vi, en) for key, (vi, en) in WORDS.items() if key.startswith(prefix)}


# WORDS by key and language, as the command line still reads them (``SKIP_REASONS["lock-file"]["en"]``);
# new code asks :func:`word`.
LEVEL_LABELS = _by_key("level-")
SEVERITY_LABELS = _by_key("severity-")
SKIP_REASONS = _by_key("skip-")


def nfc(text: str) -> str:
    """Text as it enters from a file, a form or the command line, in Unicode NFC: a name typed
    or pasted in NFD compares, sorts and prints like its NFC twin from then on."""
    return text if text.isascii() else unicodedata.normalize("NFC", text)


def fold(text: str) -> str:
    """Case- and accent-insensitive key: 'Không' -> 'khong', 'Đ' -> 'd'."""
    text = unicodedata.normalize("NFD", text.strip().lower()).replace("đ", "d")
    return "".join(ch for ch in text if unicodedata.category(ch) != "Mn")


class QcdcError(Exception):
    """An error a person can act on: a message key with its parameters, rendered on demand."""

    def __init__(self, key: str, **params: object) -> None:
        self.key = key
        self.params = params
        super().__init__(t(key, "vi", **params))

    def render(self, lang: str = "vi") -> str:
        return t(self.key, lang, **self.params)


class MultiError(QcdcError):
    """Several problems found in one input (all reported at once, not just the first)."""

    def __init__(self, errors: list[QcdcError]) -> None:
        self.errors = errors
        Exception.__init__(self, "\n".join(e.render("vi") for e in errors))
        self.key = errors[0].key
        self.params = errors[0].params

    def render(self, lang: str = "vi") -> str:
        return "\n".join(e.render(lang) for e in self.errors)


# --- the command-line library's own texts ---------------------------------------------------------
# click routes every text it shows (usage, errors, help headings) through gettext; the command line
# installs :class:`DictTranslations` over them for a run (see ``qcdc_excel.cli``). Keys are click's
# English msgids exactly; the placeholders of a msgid may be left out of its translation.
CLICK_VI: dict[str, str] = {
    "Aborted!": "Đã dừng.",
    "deprecated": "không còn dùng",
    "Missing command.": "Thiếu tên lệnh.",
    "required": "bắt buộc",
    "Options": "Tùy chọn",
    "Positional arguments": "Tham số",
    "Commands": "Lệnh",
    "DeprecationWarning: The command {name!r} is deprecated.{extra_message}":
        "Cảnh báo: lệnh “{name}” không còn được dùng.{extra_message}",
    "DeprecationWarning: The {param_type} {name!r} is deprecated.{extra_message}":
        "Cảnh báo: “{name}” không còn được dùng.{extra_message}",
    "Value must be an iterable.": "Giá trị phải là một danh sách.",
    "Could not determine name for option with declarations {decls!r}":
        "Không xác định được tên của tùy chọn khai báo {decls!r}",
    "No options defined but a name was passed ({name}). Did you mean to declare an argument instead? "
    "Did you mean to pass '--{name}'?":
        "Chưa khai báo tùy chọn nào nhưng đã có tên ({name}). Có phải bạn muốn khai báo một tham số, "
        "hoặc muốn dùng “--{name}”?",
    "env var: {var}": "biến môi trường: {var}",
    "default: {default}": "mặc định: {default}",
    "Arguments take exactly one parameter declaration, got {length}: {decls}.":
        "Mỗi tham số chỉ có đúng một khai báo, ở đây có {length}: {decls}.",
    "(dynamic)": "(tùy lúc chạy)",
    "Name '{name}' defined twice": "Tên “{name}” được khai báo hai lần",
    "Boolean option {decl!r} cannot use the same flag for true/false.":
        "Tùy chọn bật/tắt {decl!r} không thể dùng cùng một cờ cho cả bật và tắt.",
    "Do you want to continue?": "Bạn có muốn tiếp tục không?",
    "Confirm the action without prompting.": "Xác nhận mà không hỏi lại.",
    "%(prog)s, version %(version)s": "%(prog)s, phiên bản %(version)s",
    "Show the version and exit.": "Hiện phiên bản rồi thoát.",
    "Show this message and exit.": "Hiện hướng dẫn này rồi thoát.",
    "Missing argument": "Thiếu tham số",
    "Missing option": "Thiếu tùy chọn",
    "Missing parameter": "Thiếu tham số",
    "Missing parameter: {param_name}": "Thiếu tham số: {param_name}",
    "Missing {param_type}": "Thiếu {param_type}",
    "unknown error": "lỗi không rõ",
    "Invalid value for {param_hint}: {message}": "Giá trị không hợp lệ cho {param_hint}: {message}",
    "Invalid value: {message}": "Giá trị không hợp lệ: {message}",
    "Could not open file {filename!r}: {message}": "Không mở được tệp “{filename}”: {message}",
    "Error: {message}": "Lỗi: {message}",
    "Try '{command} {option}' for help.": "Gõ “{command} {option}” để xem hướng dẫn.",
    "No such option {name!r}.": "Không có tùy chọn “{name}”.",
    "No such command {name!r}.": "Không có lệnh “{name}”.",
    "Usage:": "Cách dùng:",
    "Invalid start character for option ({option})": "Ký tự đầu của tùy chọn không hợp lệ ({option})",
    "Option {name!r} does not take a value.": "Tùy chọn “{name}” không nhận giá trị.",
    "Argument {name!r} takes {nargs} values.": "Tham số “{name}” cần {nargs} giá trị.",
    "Couldn't detect Bash version, shell completion is not supported.":
        "Không xác định được phiên bản Bash; không hỗ trợ tự hoàn thành lệnh.",
    "Shell completion is not supported for Bash versions older than 4.4.":
        "Không hỗ trợ tự hoàn thành lệnh với Bash cũ hơn 4.4.",
    "Press any key to continue...": "Nhấn phím bất kỳ để tiếp tục...",
    "Repeat for confirmation": "Nhập lại để xác nhận",
    "Error: The two entered values do not match.": "Lỗi: hai giá trị đã nhập không khớp nhau.",
    "Error: invalid input": "Lỗi: giá trị nhập không hợp lệ",
    "Unknown color {colour!r}": "Không có màu “{colour}”",
    "file": "tệp",
    "directory": "thư mục",
    "path": "đường dẫn",
    "Choose from:\n\t{choices}": "Chọn một trong:\n\t{choices}",
    "Choice({choices})": "Lựa chọn({choices})",
    "{value} is not in the range {range}.": "{value} nằm ngoài khoảng {range}.",
    "{value!r} is not a valid boolean. Recognized values: {states}":
        "“{value}” không phải giá trị đúng/sai hợp lệ. Các giá trị được nhận: {states}",
    "{value!r} is not a valid {number_type}.": "“{value}” không phải là một số hợp lệ.",
    "{value!r} is not a valid UUID.": "“{value}” không phải UUID hợp lệ.",
    "{name} {filename!r} is a file.": "“{filename}” là một tệp, ở đây cần một thư mục.",
    "{name} {filename!r} is a directory.": "“{filename}” là một thư mục, ở đây cần một tệp.",
    "{name} {filename!r} is not readable.": "Không có quyền đọc “{filename}”.",
    "{name} {filename!r} is not writable.": "Không có quyền ghi vào “{filename}”.",
    "{name} {filename!r} is not executable.": "Không có quyền chạy “{filename}”.",
    "{name} {filename!r} does not exist.": "Không tìm thấy “{filename}”.",
    "Unknown standard stream '{name}'": "Không có luồng chuẩn “{name}”",
    "{editor}: Editing failed": "{editor}: sửa không thành công",
    "{editor}: Editing failed: {e}": "{editor}: sửa không thành công: {e}",
    "Windows error: {error}": "Lỗi Windows: {error}",
    "d": " ngày",
}

# ngettext: (singular, plural) -> (Vietnamese for one, Vietnamese for several)
CLICK_VI_PLURAL: dict[tuple[str, str], tuple[str, str]] = {
    ("Got unexpected extra argument ({args})", "Got unexpected extra arguments ({args})"):
        ("Thừa tham số ({args}); tên tệp có dấu cách cần đặt trong dấu nháy.",
         "Thừa các tham số ({args}); tên tệp có dấu cách cần đặt trong dấu nháy."),
    ("Takes {nargs} values but 1 was given.", "Takes {nargs} values but {len} were given."):
        ("Cần {nargs} giá trị nhưng chỉ có 1.", "Cần {nargs} giá trị nhưng có {len}."),
    ("Did you mean {possibility}?", "(Did you mean one of: {possibilities}?)"):
        ("Có phải ý bạn là {possibility}?", "(Có phải ý bạn là một trong: {possibilities}?)"),
    ("Option {name!r} requires an argument.", "Option {name!r} requires {nargs} arguments."):
        ("Tùy chọn “{name}” cần một giá trị đi sau.", "Tùy chọn “{name}” cần {nargs} giá trị đi sau."),
    ("{value!r} is not {choice}.", "{value!r} is not one of {choices}."):
        ("“{value}” không hợp lệ; chỉ nhận {choice}.", "“{value}” không hợp lệ; chọn một trong {choices}."),
    ("{value!r} does not match the format {format}.", "{value!r} does not match the formats {formats}."):
        ("“{value}” không đúng dạng {format}.", "“{value}” không đúng dạng nào trong {formats}."),
    ("{len_type} values are required, but {len_value} was given.",
     "{len_type} values are required, but {len_value} were given."):
        ("Cần {len_type} giá trị nhưng có {len_value}.", "Cần {len_type} giá trị nhưng có {len_value}."),
}


class DictTranslations(gettext.NullTranslations):
    """gettext translations from in-memory dicts; an unknown msgid falls back to itself."""

    def __init__(self, singular: dict[str, str] | None = None,
                 plural: dict[tuple[str, str], tuple[str, str]] | None = None) -> None:
        super().__init__()
        self._singular = singular or {}
        self._plural = plural or {}

    def gettext(self, message: str) -> str:
        return unicodedata.normalize("NFC", self._singular.get(message, message))

    def ngettext(self, msgid1: str, msgid2: str, n: int) -> str:
        forms = self._plural.get((msgid1, msgid2))
        if forms is None:
            return msgid1 if n == 1 else msgid2
        return unicodedata.normalize("NFC", forms[0] if n == 1 else forms[1])


def click_translations(lang: str) -> gettext.NullTranslations:
    """What the command line shows for click's own texts in ``lang`` (English: click's wording)."""
    if check_lang(lang) == "vi":
        return DictTranslations(CLICK_VI, CLICK_VI_PLURAL)
    return gettext.NullTranslations()
