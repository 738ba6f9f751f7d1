"""Findings: what is wrong with a submission, as data (frictionless-style).

A finding is a small immutable record with a stable kebab-case code, a severity and a place;
its message is rendered on demand in Vietnamese or English. Checks produce findings and never
print; the terminal view, the JSON report and the feedback workbook are renderers of one list.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from .i18n import t, word
from .numbers import format_number

# code -> (vi, en) message. Placeholders come from Finding.params plus cell/indicator/label.
TEXTS: dict[str, tuple[str, str]] = {
    # the file itself (status: unreadable)
    "file-empty": ("Tệp rỗng (0 byte). Hãy gửi lại tệp biểu mẫu đã điền.",
                   "The file is empty (0 bytes). Send the filled template again."),
    "file-too-large": ("Tệp quá lớn ({size_mb} MB, tối đa {limit_mb} MB) để là một biểu mẫu. Hãy gửi đúng tệp biểu mẫu đã điền.",
                       "The file is too large ({size_mb} MB, limit {limit_mb} MB) to be a form. Send the filled template itself."),
    "file-xls": ("Tệp ở định dạng Excel 97-2003 (.xls). Hãy mở biểu mẫu gốc (.xlsx), điền số liệu và lưu dạng .xlsx.",
                 "This is an Excel 97-2003 (.xls) file. Fill the original .xlsx template and save it as .xlsx."),
    "file-encrypted": ("Tệp đã đặt mật khẩu mở nên không đọc được. Hãy bỏ mật khẩu mở tệp: trong Excel chọn Tệp > Thông tin > "
                       "Bảo vệ Sổ làm việc > Mã hóa bằng Mật khẩu (Excel tiếng Anh: File > Info > Protect Workbook > "
                       "Encrypt with Password), xóa mật khẩu, bấm OK; trong LibreOffice chọn Tệp > Lưu thành… và bỏ chọn "
                       "“Lưu với mật khẩu”. Lưu lại dạng .xlsx rồi gửi lại.",
                       "The file is password-encrypted. Remove the open password: in Excel, File > Info > Protect Workbook > "
                       "Encrypt with Password, clear the password, OK; in LibreOffice, File > Save As… and untick 'Save with "
                       "password'. Save it as .xlsx and send it again."),
    "file-html": ("Tệp thực chất là trang HTML đổi tên thành .xlsx. Hãy điền vào biểu mẫu .xlsx gốc và lưu dạng .xlsx.",
                  "This is an HTML page renamed to .xlsx. Fill the original .xlsx template and save it as .xlsx."),
    "file-csv": ("Tệp thực chất là văn bản/CSV, không phải sổ Excel. Hãy điền vào biểu mẫu .xlsx gốc và lưu dạng .xlsx.",
                 "This is a text/CSV file, not an Excel workbook. Fill the original .xlsx template and save it as .xlsx."),
    "file-not-xlsx": ("Tệp không phải sổ Excel .xlsx (nhận ra: {kind}). Hãy điền vào biểu mẫu .xlsx gốc và gửi lại.",
                      "The file is not an .xlsx workbook (looks like: {kind}). Fill the original .xlsx template and send it again."),
    "file-ods": ("Tệp ở định dạng LibreOffice (.ods). Hãy chọn Lưu thành… > Excel 2007-365 (.xlsx) rồi gửi lại.",
                 "This is a LibreOffice .ods file. Use Save As… > Excel 2007-365 (.xlsx) and send it again."),
    "file-xlsb": ("Tệp ở định dạng Excel nhị phân (.xlsb). Hãy lưu lại dạng Sổ làm việc Excel (.xlsx) rồi gửi lại.",
                  "This is a binary Excel (.xlsb) file. Save it as an Excel Workbook (.xlsx) and send it again."),
    "file-xlsm": ("Tệp có chứa macro (.xlsm). Hãy lưu lại dạng Sổ làm việc Excel (.xlsx), không có macro, rồi gửi lại.",
                  "The file contains macros (.xlsm). Save it as a macro-free Excel Workbook (.xlsx) and send it again."),
    "file-corrupt": ("Tệp bị hỏng hoặc không trọn vẹn (có thể tải về chưa hết). Hãy mở thử trên máy, lưu lại rồi gửi lại.",
                     "The file is damaged or truncated (perhaps an incomplete download). Open it, save it again and resend."),
    "file-zip-bomb": ("Tệp nén bất thường (giải nén ra quá lớn) nên bị từ chối vì an toàn. Hãy gửi đúng tệp biểu mẫu đã điền.",
                      "The archive expands to an abnormal size and is refused for safety. Send the filled template itself."),
    "file-xml-bomb": ("Tệp chứa cấu trúc XML không an toàn nên bị từ chối. Hãy điền vào biểu mẫu gốc và gửi lại.",
                      "The file contains unsafe XML and is refused. Fill the original template and send it again."),
    "file-unreadable": ("Không đọc được tệp: {reason}", "Cannot read the file: {reason}"),
    "check-timeout": ("Kiểm tra tệp này quá {seconds} giây nên đã dừng. Hãy mở tệp bằng Excel, lưu lại dạng .xlsx rồi gửi lại.",
                      "Checking this file took over {seconds} seconds and was stopped. Open it in Excel, save it as .xlsx and send it again."),
    "check-memory": ("Tệp này cần quá nhiều bộ nhớ để đọc (có thể bị hỏng). Hãy mở bằng Excel, lưu lại dạng .xlsx rồi gửi lại.",
                     "This file needs too much memory to read (it may be damaged). Open it in Excel, save it as .xlsx and send it again."),
    "check-crashed": ("Không kiểm tra xong tệp này (chương trình đọc tệp bị dừng). Hãy mở bằng Excel, lưu lại dạng .xlsx rồi gửi lại.",
                      "The check of this file did not finish (the reader stopped). Open it in Excel, save it as .xlsx and send it again."),
    "office-returned": ("Văn phòng Ban Chỉ đạo đã trả lại báo cáo này: “{comment}”. Hãy sửa theo ý kiến đó và gửi lại.",
                        "The steering committee's office returned this report: “{comment}”. Fix it as asked and send it again."),
    "unit-mismatch": ("Tệp này là báo cáo của {unit} – {name}, không phải của {sender} – {sender_name} (đơn vị đang đăng nhập). "
                      "Tệp đã được lưu nhưng không được tính; hãy gửi đúng báo cáo của đơn vị mình.",
                      "This file is the report of {unit} – {name}, not of {sender} – {sender_name} (the unit signed in). "
                      "It is kept but does not count; send your own unit's report."),
    "not-from-template": ("Tệp không được tạo từ biểu mẫu của Ban Chỉ đạo (không có trang định danh). Hãy điền số liệu vào biểu mẫu đã được gửi.",
                          "The workbook was not made from the steering committee's template (no identity sheet). Fill the template you were sent."),
    "receipt-not-report": ("Tệp này là biên nhận do Văn phòng cấp, không chứa báo cáo. Nếu cần gửi lại, hãy gửi tệp báo cáo (biểu mẫu đã điền).",
                           "This file is a receipt the office issued; it holds no report. To send again, send the report itself (the filled form)."),
    "form-version-unknown": ("Biểu mẫu là mẫu số {version}, mới hơn phần mềm này (đã biết: {known}). Hãy cập nhật qcdc-excel hoặc dùng biểu mẫu được gửi.",
                             "The form is version {version}, newer than this program knows ({known}). Update qcdc-excel or use the template you were sent."),
    "catalog-version-unknown": ("Biểu mẫu dùng danh mục “{version}” mà phần mềm không biết (đã biết: {known}). Hãy dùng biểu mẫu mới nhất được gửi.",
                                "The form uses catalog '{version}', which is unknown (known: {known}). Use the latest template you were sent."),
    # identity
    "metadata-invalid": ("Trang định danh của biểu mẫu bị sửa ({detail}). Hãy điền lại vào biểu mẫu gốc.",
                         "The form's identity sheet was altered ({detail}). Fill the original template again."),
    "unit-code-missing": ("Chưa ghi mã đơn vị ở ô {cell}. Hãy ghi mã đơn vị của mình.",
                          "No unit code in {cell}. Type your unit code."),
    "unit-code-mismatch": ("Mã đơn vị ở ô {cell} ({shown}) khác mã của biểu mẫu ({expected}). Không sửa mã đơn vị; hãy dùng đúng biểu mẫu của đơn vị mình.",
                           "The unit code in {cell} ({shown}) differs from the form's ({expected}). Do not edit it; use your own unit's template."),
    "unit-not-in-roster": ("Mã đơn vị {unit} không có trong danh sách đơn vị. {hint}",
                           "Unit code {unit} is not in the roster. {hint}"),
    "unit-code-zero-lost": ("Mã đơn vị ở ô {cell} {what}; {matched} Hãy giữ mã đơn vị dạng chữ: dùng lại "
                            "biểu mẫu gốc (ô mã đã định dạng Văn bản) hoặc định dạng ô là Văn bản (Text) trước khi gõ mã.",
                            "The unit code in {cell} {what}; {matched} Keep the code as text: reuse the "
                            "original form (its code cell is formatted Text) or format the cell as Text before typing."),
    "unit-level-mismatch": ("Đơn vị {unit} thuộc {roster_level} nhưng dùng biểu mẫu {form_level}. Hãy dùng biểu mẫu đúng cấp.",
                            "Unit {unit} is a {roster_level} unit but used the {form_level} form. Use the form of your level."),
    "period-missing": ("Chưa ghi kỳ báo cáo ở ô {cell} (dạng 2023Q1, 2023S1 hoặc 2023).",
                       "No reporting period in {cell} (use 2023Q1, 2023S1 or 2023)."),
    "period-invalid": ("Kỳ báo cáo “{shown}” ở ô {cell} không hợp lệ. Ghi dạng 2023Q1…2023Q4, 2023S1, 2023S2 hoặc 2023.",
                       "The period '{shown}' in {cell} is invalid. Use 2023Q1…2023Q4, 2023S1, 2023S2 or 2023."),
    "period-mismatch": ("Báo cáo này là kỳ {shown}, không phải kỳ {expected} đang tổng hợp. Hãy gửi báo cáo đúng kỳ.",
                        "This report is for {shown}, not the period being collected ({expected}). Send the right period."),
    # structure
    "sheet-added": ("Có thêm trang tính “{sheet_name}” không thuộc biểu mẫu. Hãy xóa trang này hoặc điền lại vào biểu mẫu gốc.",
                    "An extra sheet '{sheet_name}' is not part of the form. Delete it or refill the original template."),
    "sheet-removed": ("Thiếu trang tính “{sheet_name}” của biểu mẫu. Hãy điền lại vào biểu mẫu gốc.",
                      "The form's sheet '{sheet_name}' is missing. Fill the original template again."),
    "sheet-renamed": ("Trang “{expected}” đã bị đổi tên thành “{sheet_name}”. Hãy đổi lại tên cũ hoặc điền lại vào biểu mẫu gốc.",
                      "Sheet '{expected}' was renamed to '{sheet_name}'. Rename it back or refill the original template."),
    "protection-removed": ("Trang “{sheet_name}” không còn khóa bảo vệ. {consequence}",
                           "Sheet '{sheet_name}' is no longer protected. {consequence}"),
    "structure-unprotected": ("Bảo vệ cấu trúc sổ đã bị gỡ. Số liệu vẫn được đọc, nhưng lần sau hãy dùng biểu mẫu gốc.",
                              "Workbook structure protection was removed. Values are still read; use the original template next time."),
    "rows-shifted": ("Dòng của chỉ tiêu {indicator} đã bị dời từ dòng {expected_row} sang dòng {found_row} (có dòng bị chèn hoặc xóa). Hãy điền lại vào biểu mẫu gốc, không chèn/xóa dòng.",
                     "Indicator {indicator} moved from row {expected_row} to row {found_row} (rows inserted or deleted). Refill the original template without inserting or deleting rows."),
    "row-missing": ("Không tìm thấy chỉ tiêu {indicator} (dòng {expected_row}). Hãy điền lại vào biểu mẫu gốc.",
                    "Indicator {indicator} (row {expected_row}) is missing. Fill the original template again."),
    "code-edited": ("Mã chỉ tiêu ở ô {cell} đã bị sửa thành “{shown}” (đúng là {indicator}). Không sửa cột mã chỉ tiêu.",
                    "The indicator code in {cell} was changed to '{shown}' (should be {indicator}). Do not edit the code column."),
    "label-edited": ("Nội dung chỉ tiêu {indicator} ở ô {cell} đã bị sửa. Không sửa cột nội dung; ghi chú (nếu cần) ở phần V.",
                     "The label of {indicator} in {cell} was edited. Do not edit labels; put remarks in section V."),
    "formula-overwritten": ("Công thức ở ô {cell} đã bị xóa hoặc ghi đè. Ô này tự tính, không nhập tay; hãy điền lại vào biểu mẫu gốc.",
                            "The formula in {cell} was deleted or overwritten. It is computed, not typed; refill the original template."),
    "input-is-formula": ("Ô {cell} ({indicator}) chứa công thức. Hãy nhập con số, không nhập công thức.",
                         "{cell} ({indicator}) holds a formula. Type the number, not a formula."),
    "external-links": ("Tệp có liên kết tới tệp khác. Hãy dán giá trị (Paste Values) thay vì liên kết, hoặc điền lại vào biểu mẫu gốc.",
                       "The workbook links to other files. Paste values instead of links, or refill the original template."),
    # values
    "required-missing": ("Chưa nhập {indicator} – {label} (ô {cell}). Chỉ tiêu bắt buộc: nếu không có thì nhập 0{flag_hint}.",
                         "{indicator} – {label} ({cell}) is blank. It is required: type 0 if there is none{flag_hint}."),
    "number-as-text": ("Ô {cell} ({indicator}) có số “{shown}” được lưu dạng chữ; đã đọc là {value}. {why}",
                       "{cell} ({indicator}) holds '{shown}' stored as text; read as {value}. {why}"),
    "not-a-number": ("Ô {cell} ({indicator} – {label}) ghi “{shown}”, không phải số. {what}",
                     "{cell} ({indicator} – {label}) holds '{shown}', not a number. {what}"),
    "negative-number": ("Ô {cell} ({indicator} – {label}) là số âm ({shown}). Chỉ nhập số ≥ 0.",
                        "{cell} ({indicator} – {label}) is negative ({shown}). Type a number ≥ 0."),
    "not-whole-number": ("Ô {cell} ({indicator} – {label}) là {shown}, phải là số nguyên (ví dụ 12).",
                         "{cell} ({indicator} – {label}) is {shown}; it must be a whole number (e.g. 12)."),
    "invalid-flag": ("Ô {cell} ({indicator} – {label}) ghi “{shown}”. Chỉ chọn Có hoặc Không.",
                     "{cell} ({indicator} – {label}) holds '{shown}'. Choose Có (yes) or Không (no)."),
    "text-too-long": ("Ô {cell} ({indicator}) dài {length} ký tự (tối đa {limit}). Hãy rút gọn.",
                      "{cell} ({indicator}) is {length} characters long (limit {limit}). Shorten it."),
    "report-date-missing": ("Chưa ghi ngày báo cáo (ô {cell}).", "No report date ({cell})."),
    "report-date-invalid": ("Ngày báo cáo ở ô {cell} (“{shown}”) không đọc được; ghi dạng ngày/tháng/năm.",
                            "The report date in {cell} ('{shown}') cannot be read; use day/month/year."),
    "window-invalid": ("Ngày ở ô {cell} (“{shown}”) của “Số liệu tính từ ngày … đến ngày …” không đọc được; ghi dạng ngày/tháng/năm.",
                       "The date in {cell} ('{shown}') of the data window cannot be read; use day/month/year."),
    "window-reversed": ("“Số liệu tính từ ngày {start} đến ngày {end}” (ô {cell}): ngày cuối trước ngày đầu. Hãy sửa lại hai ngày.",
                        "The data window {start} to {end} ({cell}) ends before it starts. Correct the two dates."),
    "window-outside-period": ("Số liệu tính từ ngày {start} đến ngày {end} (ô {cell}) không trùng kỳ {period_words}. Thường là từ ngày {usual_start} đến ngày {usual_end}; hãy kiểm tra lại.",
                              "The data window {start} to {end} ({cell}) does not overlap {period_words}. It is usually {usual_start} to {usual_end}; check it."),
    # rules
    "rule-failed": ("{message} Số liệu đang nhập: {left_side} = {left}; {right_side} = {right}. Hãy kiểm tra lại các ô {cells}.",
                    "{message} As typed: {left_side} = {left}; {right_side} = {right}. Check cells {cells}."),
    # history (given earlier periods: --previous)
    "cumulative-mismatch": ("{indicator} – {label} (ô {cell}): {period_words}: {value_shown}; cộng các kỳ: {parts} = "
                            "{total_shown} — {note}, hãy kiểm tra lại.",
                            "{indicator} – {label} ({cell}): {period_words}: {value_shown}; the periods add up to: "
                            "{parts} = {total_shown} — {note}; please check."),
    "period-jump": ("{indicator} – {label} (ô {cell}): {previous_words}: {previous_shown}; {period_words}: "
                    "{value_shown} — {why}, hãy kiểm tra lại.",
                    "{indicator} – {label} ({cell}): {previous_words}: {previous_shown}; {period_words}: "
                    "{value_shown} — {why}; please check."),
    "sibling-outlier": ("{indicator} – {label} (ô {cell}): {period_words}: {value_shown}, khác xa các đơn vị cùng cấp "
                        "(giá trị giữa của {siblings} đơn vị cùng cấp khác: {median_shown}) — hãy kiểm tra lại.",
                        "{indicator} – {label} ({cell}): {period_words}: {value_shown}, far from the sibling units "
                        "(median of {siblings} other siblings: {median_shown}); please check."),
    # uploads the desk refused before any check (the submission's status: refused)
    "upload-too-large": ("Tệp quá lớn (giới hạn 20 MB). Biểu mẫu đã điền chỉ khoảng 50 KB: hãy gửi đúng tệp Excel của biểu mẫu.",
                         "File too large (limit 20 MB). A filled form is about 50 KB: send the form's Excel file."),
    "upload-not-spreadsheet": ("Tệp này không phải bảng tính (Excel .xlsx). Hãy gửi tệp biểu mẫu Excel đã điền, không gửi ảnh, PDF hay Word.",
                               "This is not a spreadsheet (.xlsx). Send the filled Excel form, not a picture, PDF or Word file."),
    "upload-archive-for-unit": ("Đơn vị gửi trực tiếp tệp Excel, không nén .zip. Hãy giải nén và gửi tệp biểu mẫu.",
                                "Units send the Excel file itself, not a .zip. Unzip it and send the form."),
    "upload-archive": ("Tệp nén .zip: đã lưu, các tệp bên trong được nhận riêng từng tệp.",
                       "A .zip archive: kept; the files inside are received one by one."),
    "upload-archive-unpacked": ("Tệp nén .zip: đã lưu nguyên bản và nhận riêng từng tệp bên trong.",
                                "A .zip archive: kept as sent; each file inside is received on its own."),
    "upload-archive-unreadable": ("Không giải nén được tệp .zip này (hỏng hoặc có mật khẩu). Tệp đã được lưu; hãy nén lại hoặc gửi từng tệp.",
                                  "This .zip cannot be opened (damaged or encrypted). It is kept; zip it again or send the files one by one."),
    "upload-archive-too-big": ("Tệp .zip có quá nhiều tệp hoặc quá lớn khi giải nén. Tệp đã được lưu; hãy chia thành nhiều tệp nén nhỏ hơn.",
                               "The .zip holds too many files or too much data. It is kept; split it into smaller archives."),
    "upload-archive-member-unreadable": ("Không lấy được tệp này ra khỏi tệp nén (hỏng, có mật khẩu hoặc quá 20 MB).",
                                         "This file could not be taken out of the archive (damaged, encrypted or over 20 MB)."),
    "upload-refused": ("Tệp bị từ chối.", "File refused."),
}

WHAT_TO_TYPE = {
    "count": ("Chỉ nhập số nguyên ≥ 0, không kèm chữ hay đơn vị (ví dụ 12).",
              "Type a whole number ≥ 0 only, no words or units (e.g. 12)."),
    "amount": ("Chỉ nhập số ≥ 0, không kèm chữ hay đơn vị (ví dụ 11796,9).",
               "Type a number ≥ 0 only, no words or units (e.g. 11796.9)."),
}

# Why a number was stored as text (the ``why`` of number-as-text): from the cell's style, else its text.
TEXT_CAUSES = {
    "quote": ("Số được gõ với dấu ' ở đầu nên Excel lưu dạng chữ. Lần sau hãy gõ số không có dấu '.",
              "It was typed with a leading apostrophe ('), which makes Excel keep it as text. Type it without the apostrophe next time."),
    "text-format": ("Ô đang được định dạng Văn bản (Text) nên số gõ vào thành chữ. Lần sau hãy chọn ô, bấm chuột phải > "
                    "Định dạng Ô > Số > Chung (Format Cells > Number > General) rồi gõ lại số.",
                    "The cell is formatted as Text, so what is typed stays text. Next time right-click it > Format Cells > "
                    "Number > General and type the number again."),
    "comma": ("Số thập phân được gõ bằng dấu phẩy trong khi Excel trên máy này dùng dấu chấm làm dấu thập phân, nên coi là "
              "chữ. Lần sau hãy gõ theo dấu thập phân của máy (ví dụ 12.5 thay cho 12,5), hoặc đặt dấu phẩy làm dấu thập phân "
              "trong cài đặt Vùng (Region) của Windows.",
              "The decimal was typed with a comma while Excel on this computer uses a decimal point, so it took it as text. "
              "Type it with the computer's decimal separator next time (e.g. 12.5 for 12,5)."),
    "pasted": ("Số được dán vào dưới dạng chữ (chép từ trang web, Word, Zalo…). Lần sau hãy dán bằng Dán Đặc biệt > Giá trị "
               "(Paste Special > Values) hoặc gõ lại số.",
               "It was pasted in as text (from a web page, Word, a chat…). Next time use Paste Special > Values or type the number."),
}
# A text like “1.234” or “12.500.000”: digits grouped by thousands dots (the ``what`` of not-a-number).
THOUSANDS_DOTS = {
    "count": ("Dấu chấm trong số này là dấu phân cách hàng nghìn; gõ kèm dấu chấm nên ô bị lưu dạng chữ. Hãy gõ liền "
              "các chữ số, không có dấu chấm (ví dụ 1234 thay cho 1.234).",
              "The dot in this number is a thousands separator; typed in, it made the cell text. Type the digits only, "
              "without the dot (e.g. 1234 for 1.234)."),
    "amount": ("Không rõ dấu chấm trong số này là dấu phân cách hàng nghìn hay dấu thập phân, nên số không được đọc. "
               "Hãy gõ lại số, không có dấu phân cách hàng nghìn (ví dụ 1234, hoặc 1,234 nếu là số thập phân).",
               "It is unclear whether the dot in this number separates thousands or decimals, so it was not read. Type the "
               "number again without a thousands separator (e.g. 1234)."),
}

# The registry: code -> (class, Vietnamese title, English title). The class is the default
# severity ("error", "warning"), "unreadable" (an error that stops reading the file) or "rule"
# (the catalog rule's own severity) or "refusal" (an upload the desk refused before any check).
# Checks, the JSON, the feedback sheet and the consolidated workbook all read their words from here and from TEXTS.
CODES: dict[str, tuple[str, str, str]] = {
    "file-empty": ("unreadable", "Tệp rỗng", "Empty file"),
    "file-too-large": ("unreadable", "Tệp quá lớn", "File too large"),
    "file-xls": ("unreadable", "Tệp Excel 97-2003 (.xls)", "Excel 97-2003 file (.xls)"),
    "file-encrypted": ("unreadable", "Tệp có mật khẩu mở", "Password-encrypted file"),
    "file-html": ("unreadable", "Trang HTML đổi tên", "HTML page renamed"),
    "file-csv": ("unreadable", "Tệp văn bản/CSV", "Text/CSV file"),
    "file-not-xlsx": ("unreadable", "Không phải tệp .xlsx", "Not an .xlsx file"),
    "file-ods": ("unreadable", "Tệp LibreOffice (.ods)", "LibreOffice file (.ods)"),
    "file-xlsb": ("unreadable", "Tệp Excel nhị phân (.xlsb)", "Binary Excel file (.xlsb)"),
    "file-xlsm": ("unreadable", "Tệp có macro (.xlsm)", "File with macros (.xlsm)"),
    "file-corrupt": ("unreadable", "Tệp bị hỏng", "Damaged file"),
    "file-zip-bomb": ("unreadable", "Tệp nén bất thường", "Abnormal archive"),
    "file-xml-bomb": ("unreadable", "XML không an toàn", "Unsafe XML"),
    "file-unreadable": ("unreadable", "Không đọc được tệp", "File cannot be read"),
    "check-timeout": ("unreadable", "Kiểm tra quá lâu", "Check took too long"),
    "check-memory": ("unreadable", "Tệp cần quá nhiều bộ nhớ", "File needs too much memory"),
    "check-crashed": ("unreadable", "Không kiểm tra xong", "Check did not finish"),
    "unit-mismatch": ("error", "Báo cáo của đơn vị khác", "Another unit's report"),
    "office-returned": ("error", "Văn phòng trả lại", "Returned by the office"),
    "not-from-template": ("unreadable", "Không phải biểu mẫu", "Not the template"),
    "receipt-not-report": ("unreadable", "Biên nhận, không phải báo cáo", "A receipt, not a report"),
    "catalog-version-unknown": ("unreadable", "Phiên bản danh mục lạ", "Unknown catalog version"),
    "form-version-unknown": ("unreadable", "Mẫu biểu mới hơn phần mềm", "Newer form version"),
    "metadata-invalid": ("error", "Trang định danh bị sửa", "Identity sheet altered"),
    "unit-code-missing": ("error", "Thiếu mã đơn vị", "Unit code missing"),
    "unit-code-mismatch": ("error", "Mã đơn vị bị sửa", "Unit code changed"),
    "unit-not-in-roster": ("error", "Đơn vị ngoài danh sách", "Unit not in roster"),
    "unit-code-zero-lost": ("warning", "Mã đơn vị mất số 0 ở đầu", "Unit code lost its leading zeros"),
    "unit-level-mismatch": ("error", "Biểu mẫu sai cấp", "Form of another level"),
    "period-missing": ("error", "Thiếu kỳ báo cáo", "Period missing"),
    "period-invalid": ("error", "Kỳ báo cáo sai", "Invalid period"),
    "period-mismatch": ("error", "Khác kỳ đang tổng hợp", "Another period"),
    "sheet-added": ("error", "Thêm trang tính", "Sheet added"),
    "sheet-removed": ("error", "Thiếu trang tính", "Sheet missing"),
    "sheet-renamed": ("error", "Trang bị đổi tên", "Sheet renamed"),
    "protection-removed": ("error", "Trang bị gỡ khóa", "Sheet unprotected"),
    "structure-unprotected": ("warning", "Sổ bị gỡ khóa cấu trúc", "Workbook structure unprotected"),
    "rows-shifted": ("error", "Dòng bị chèn/xóa", "Rows inserted or deleted"),
    "row-missing": ("error", "Thiếu dòng chỉ tiêu", "Indicator row missing"),
    "code-edited": ("error", "Mã chỉ tiêu bị sửa", "Indicator code edited"),
    "label-edited": ("error", "Nội dung chỉ tiêu bị sửa", "Indicator label edited"),
    "formula-overwritten": ("error", "Công thức bị ghi đè", "Formula overwritten"),
    "input-is-formula": ("error", "Ô nhập chứa công thức", "Formula in an input cell"),
    "external-links": ("error", "Liên kết tới tệp khác", "Links to other files"),
    "required-missing": ("error", "Chưa nhập chỉ tiêu bắt buộc", "Required value missing"),
    "number-as-text": ("warning", "Số lưu dạng chữ", "Number stored as text"),
    "not-a-number": ("error", "Không phải số", "Not a number"),
    "negative-number": ("error", "Số âm", "Negative number"),
    "not-whole-number": ("error", "Không phải số nguyên", "Not a whole number"),
    "invalid-flag": ("error", "Không phải Có/Không", "Not Có/Không"),
    "text-too-long": ("warning", "Nội dung quá dài", "Text too long"),
    "report-date-missing": ("warning", "Thiếu ngày báo cáo", "Report date missing"),
    "report-date-invalid": ("warning", "Ngày báo cáo sai", "Invalid report date"),
    "window-invalid": ("warning", "Ngày tính số liệu sai", "Invalid data window date"),
    "window-reversed": ("warning", "Thời gian tính số liệu ngược", "Data window reversed"),
    "window-outside-period": ("warning", "Số liệu ngoài kỳ báo cáo", "Data window outside the period"),
    "rule-failed": ("rule", "Số liệu không khớp quy tắc", "Rule not met"),
    "cumulative-mismatch": ("warning", "Không khớp tổng các kỳ", "Does not match its periods' sum"),
    "period-jump": ("warning", "Thay đổi bất thường so với kỳ trước", "Unusual change from an earlier period"),
    "sibling-outlier": ("warning", "Khác xa đơn vị cùng cấp", "Far from sibling units"),
    "upload-too-large": ("refusal", "Tệp quá lớn", "File too large"),
    "upload-not-spreadsheet": ("refusal", "Không phải bảng tính", "Not a spreadsheet"),
    "upload-archive-for-unit": ("refusal", "Tệp nén", "Archive"),
    "upload-archive": ("refusal", "Tệp nén", "Archive"),
    "upload-archive-unpacked": ("refusal", "Tệp nén đã giải nén", "Archive unpacked"),
    "upload-archive-unreadable": ("refusal", "Tệp nén hỏng", "Broken archive"),
    "upload-archive-too-big": ("refusal", "Tệp nén quá lớn", "Archive too big"),
    "upload-archive-member-unreadable": ("refusal", "Không giải nén được", "Could not unpack"),
    "upload-refused": ("refusal", "Bị từ chối", "Refused"),
}
UNREADABLE_CODES = frozenset(code for code, (kind, _, _) in CODES.items() if kind == "unreadable")
OPS_SHOWN = {"<=": "≤", ">=": "≥", "==": "=", "!=": "≠", "<": "<", ">": ">"}


@dataclass(frozen=True)
class Finding:
    code: str
    severity: str  # error | warning
    sheet: str | None = None
    cell: str | None = None
    indicator: str | None = None
    label: str | None = None
    label_en: str | None = None
    rule: str | None = None
    left: float | int | None = None
    op: str | None = None
    right: float | int | None = None
    params: tuple[tuple[str, object], ...] = field(default=())

    def message(self, lang: str = "vi") -> str:
        vi, en = TEXTS[self.code]
        params = {"cell": self.cell or "", "indicator": self.indicator or "",
                  "label": (self.label_en if lang == "en" and self.label_en else self.label) or "",
                  "left": format_number(self.left, lang), "right": format_number(self.right, lang),
                  "op": OPS_SHOWN.get(self.op or "", self.op),
                  "sheet_name": self.sheet or ""}
        for key, value in self.params:
            if isinstance(value, tuple) and len(value) == 2:  # (vi, en) pair
                value = value[1] if lang == "en" else value[0]
            params[key] = value
        text = (en if lang == "en" else vi).format(**params)
        return " ".join(text.split())

    def title(self, lang: str = "vi") -> str:
        """The short name of what was found ("Công thức bị ghi đè"), from the registry."""
        _, vi, en = CODES[self.code]
        return en if lang == "en" else vi

    def severity_label(self, lang: str = "vi") -> str:
        return word(f"severity-{self.severity}", lang)

    def to_json(self, lang: str = "vi") -> dict:
        return {"code": self.code, "title": self.title(lang), "severity": self.severity, "rule": self.rule,
                "indicator": self.indicator, "sheet": self.sheet, "cell": self.cell,
                "left": self.left, "op": self.op, "right": self.right, "message": self.message(lang),
                **dict(dict(self.params).get("data", ()))}  # history: value, previous value and period


def finding(code: str, severity: str | None = None, **kw) -> Finding:
    """Build a finding; keyword arguments that are not fields become message parameters.

    ``severity`` defaults to the registry's; a rule finding passes its rule's severity.
    """
    kind = CODES[code][0]
    if severity is None:
        if kind == "rule":
            raise ValueError(f"{code}: a rule finding needs its rule's severity")
        severity = "warning" if kind == "warning" else "error"
    fields = {k: kw.pop(k) for k in list(kw) if k in Finding.__dataclass_fields__}
    return Finding(code, severity, params=tuple(sorted(kw.items())), **fields)


def refusal_json(code: str | None, lang: str = "vi") -> dict:
    """What the JSON says of an upload the desk refused before any check (``upload-…`` codes;
    an unknown one reads as a plain refusal)."""
    key = code if code in CODES and CODES[code][0] == "refusal" else "upload-refused"
    vi, en = TEXTS[key]
    _, title_vi, title_en = CODES[key]
    return {"code": code, "severity": "error", "message": en if lang == "en" else vi,
            "title": title_en if lang == "en" else title_vi}


__all__ = ["Finding", "finding", "refusal_json", "CODES", "TEXTS", "TEXT_CAUSES", "THOUSANDS_DOTS", "UNREADABLE_CODES", "WHAT_TO_TYPE",
           "t"]
