import ExcelJS from 'exceljs'
import JSZip from 'jszip'
import t from 'tap'
import { multipartFile } from '../../helper.js'
import { customerCount, signedInApp } from './customer-app.js'

// Customer files: formats, encodings, rejected rows, and the limits that keep a file from costing too much.
t.test('uploads', async (t) => {
  const { app, upload, get, sub, authorization } = await signedInApp(t)

  t.test('headers are matched case-insensitively, with aliases, and the separator is detected', async (t) => {
    const cases: Array<[string, string, object]> = [
      ['semicolons', 'ID;Customer Name;Mobile;City\nS1;Semi Colon;9000000101;Pune\n',
        { id: 'S1', name: 'Semi Colon', phone: '+919000000101', attributes: { City: 'Pune' } }],
      ['tabs', 'Customer-ID\tFirst Name\tLast Name\tPhone Number\tE-Mail\nT1\tTab\tSeparated\t9000000102\tt@example.com\n',
        { id: 'T1', name: 'Tab Separated', phone: '+919000000102', email: 't@example.com', attributes: {} }],
      ['aliases', 'customer_number,full_name,contact_number,lang\nA1,Alias Person,9000000103,ta\n',
        { id: 'A1', name: 'Alias Person', phone: '+919000000103', language: 'ta' }],
      ['a number column', 'NUMBER,NAME\n9000000104,Upper Case\n', { name: 'Upper Case', phone: '+919000000104' }],
      ['separators inside quoted headers', '"x;y;z;w",Name,"phone"\n1,"Quoted; Name",9000000105\n',
        { name: 'Quoted; Name', phone: '+919000000105', attributes: { 'x;y;z;w': '1' } }]
    ]
    for (const [name, csv, expected] of cases) {
      const response = await upload(csv)
      t.match(response.json(), { total: 1, inserted: 1 }, name)
      const phone = (expected as { phone: string }).phone
      const found = (await get(`/api/customers?search=${phone.slice(3)}`)).json().customers
      t.match(found, [expected], name)
    }
  })

  t.test('blank and repeated headers, short rows, and phones in international forms', async (t) => {
    const csv = 'customer_id,name,phone,,Note,Note\n' +
      'H1,Short Row,0091 90000 00111\n' +
      'H2,Full Row,+91-90000-00112,x,first,second\n' +
      'H3,Only A Plus,+,,,\n'
    const report = (await upload(csv)).json()
    t.match(report, { total: 3, inserted: 2, rejected_rows: [{ row: 4, reason: 'phone is not a valid number' }] })
    t.match((await get('/api/customers/H1')).json().customer, {
      phone: '+919000000111', attributes: { Note: '', Note_2: '' }
    }, 'a missing cell is empty; a column without a header is skipped')
    t.same((await get('/api/customers/H2')).json().customer.attributes, { Note: 'first', Note_2: 'second' })
  })

  t.test('encodings: a UTF-8 BOM, UTF-16 with a BOM, and Windows-1252', async (t) => {
    const bom = await upload('\uFEFFcustomer_id,name,phone\nB1,Zoë Müller,9000000201\n')
    t.match(bom.json(), { inserted: 1 })
    t.equal((await get('/api/customers/B1')).json().customer.name, 'Zoë Müller', 'the BOM is not part of the header')

    const text = 'customer_id\tname\tphone\r\nU1\tदीपा शर्मा\t9000000202\r\n'
    const utf16 = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')])
    t.match((await upload(utf16, 'unicode.txt')).json(), { inserted: 1 }, 'Excel "Unicode text"')
    t.equal((await get('/api/customers/U1')).json().customer.name, 'दीपा शर्मा')

    const be = Buffer.from(text, 'utf16le').swap16()
    t.match((await upload(Buffer.concat([Buffer.from([0xfe, 0xff]), be]))).json(), { inserted: 0, updated: 1 })

    const latin = Buffer.from('customer_id,name,phone,note\nW1,José Peña,9000000203,price \x80 5\n', 'latin1')
    t.match((await upload(latin)).json(), { inserted: 1 })
    const jose = (await get('/api/customers/W1')).json().customer
    t.equal(jose.name, 'José Peña')
    t.equal(jose.attributes.note, 'price € 5', 'Windows-1252, not Latin-1')
  })

  t.test('quoted fields with separators, quotes and newlines; CRLF; blank lines', async (t) => {
    const csv = 'customer_id,name,phone,address\r\n' +
      'Q1,"Rao, Asha",9000000301,"12 ""Lake View""\r\nBengaluru"\r\n' +
      '\r\n' +
      'Q2,Second,12345,x\r\n'
    const response = await upload(csv)
    t.match(response.json(), { total: 2, inserted: 1, rejected: 1 })
    t.same(response.json().rejected_rows, [{ row: 4, reason: 'phone is not a valid number' }],
      'row numbers count records as a spreadsheet does, blank ones included')
    const q1 = (await get('/api/customers/Q1')).json().customer
    t.equal(q1.name, 'Rao, Asha')
    t.equal(q1.attributes.address, '12 "Lake View"\r\nBengaluru')
  })

  t.test('cells that look like formulas are stored as text, never evaluated', async (t) => {
    const csv = 'customer_id,name,phone,note\nF1,"=HYPERLINK(""http://evil.example"",""x"")",9000000401,@SUM(A1)\n' +
      'F2,-2+3,+91 90000 00402,=1+1\n'
    t.match((await upload(csv)).json(), { inserted: 2 })
    const f1 = (await get('/api/customers/F1')).json().customer
    t.equal(f1.name, '=HYPERLINK("http://evil.example","x")')
    t.equal(f1.attributes.note, '@SUM(A1)')
    const f2 = (await get('/api/customers/F2')).json().customer
    t.equal(f2.name, '-2+3')
    t.equal(f2.attributes.note, '=1+1')
  })

  t.test('an .xlsx workbook: numbers, dates, formulas (their results) and rich text', async (t) => {
    const workbook = new ExcelJS.Workbook()
    const sheet = workbook.addWorksheet('Customers')
    sheet.addRow(['Customer ID', 'Name', 'Mobile', 'Amount Due', 'Due Date', 'Total'])
    sheet.addRow(['X1', 'Excel Person', 9000000501, 1500.5, new Date(Date.UTC(2026, 11, 31)), { formula: 'D2*2', result: 3001 }])
    sheet.addRow(['X2', { richText: [{ text: 'Rich ' }, { text: 'Text', font: { bold: true } }] }, '+91 90000 00502', 0, '', ''])
    sheet.addRow([])
    sheet.addRow(['X3', 'Bad Phone', 123, 1, '', ''])
    sheet.addRow(['X4', { text: 'Linked', hyperlink: 'https://example.com' }, 9000000504, { error: '#N/A' }, '', ''])
    sheet.addRow(['X5', 'Gaps', 9000000505, null, null, 'end'])
    workbook.addWorksheet('Notes').addRow(['not', 'customers'])
    const xlsx = Buffer.from(await workbook.xlsx.writeBuffer())

    const noSheets = await upload(Buffer.from(await new ExcelJS.Workbook().xlsx.writeBuffer()), 'empty.xlsx')
    t.same(noSheets.json(), { success: false, message: 'The file is empty' }, 'a workbook without worksheets')

    const response = await upload(xlsx, 'customers.xlsx')
    t.match(response.json(), { total: 5, inserted: 4, rejected: 1, rejected_rows: [{ row: 5 }] })
    t.same((await get('/api/customers/X5')).json().customer.attributes, {
      'Amount Due': '', 'Due Date': '', Total: 'end'
    }, 'empty cells are empty text')
    t.match((await get('/api/customers/X4')).json().customer, { name: 'Linked', attributes: { 'Amount Due': '' } },
      'a hyperlink shows its text, an error value nothing')
    t.match((await get('/api/customers/X1')).json().customer, {
      name: 'Excel Person',
      phone: '+919000000501',
      attributes: { 'Amount Due': '1500.5', 'Due Date': '2026-12-31', Total: '3001' }
    })
    t.equal((await get('/api/customers/X2')).json().customer.name, 'Rich Text')
    t.match((await get('/api/uploads')).json().uploads[0], { format: 'xlsx', file_name: 'customers.xlsx' })
  })

  t.test('rejected rows are reported with their row and reason, the first hundred listed', async (t) => {
    const bad = Array.from({ length: 120 }, (_, i) => `R${i},Bad ${i},12${i}`)
    const csv = 'customer_id,name,phone,email\n' +
      'R-ok,Good,9000000601,good@example.com\n' +
      'R-mail,Mail,9000000602,not-an-email\n' +
      `${'L'.repeat(101)},Long Id,9000000603,\n` +
      'R-letters,Letters,call me,\n' +
      'R-empty,Empty,,\n' +
      `R-huge,${'H'.repeat(2001)},9000000604,\n` +
      bad.join('\n')
    const report = (await upload(csv)).json()
    t.match(report, { total: 126, inserted: 1, rejected: 125, rejected_rows_not_shown: 25 })
    t.equal(report.rejected_rows.length, 100)
    t.same(report.rejected_rows.slice(0, 6), [
      { row: 3, reason: 'email is not a valid address' },
      { row: 4, reason: 'customer_id is longer than 100 characters' },
      { row: 5, reason: 'phone has characters a phone number does not' },
      { row: 6, reason: 'phone is empty' },
      { row: 7, reason: 'a cell is longer than 2000 characters' },
      { row: 8, reason: 'phone is not a valid number' }
    ])

    // A NUL early in the file marks it binary; one further on (past the 64 KB sniffed) refuses only its row.
    const padding = Array.from({ length: 800 }, (_, i) => `N${i},${'Padding '.repeat(10)},${9200000000 + i}`)
    const nul = (await upload(`customer_id,name,phone\n${padding.join('\n')}\nN-nul,Nul\u0000Byte,9200009999\n`)).json()
    t.match(nul, { total: 801, inserted: 800, rejected_rows: [{ row: 802, reason: 'a cell holds a NUL character' }] })
  })

  t.test('files refused whole, each with a clear 4xx, and the server stays healthy', async (t) => {
    const png = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0])
    const cases: Array<[string, string | Buffer, number, RegExp]> = [
      ['an empty file', '', 400, /^The file is empty$/],
      ['only blank lines', '\n\r\n  \n', 400, /^The file is empty$/],
      ['a header and no rows', 'customer_id,name,phone\n', 400, /^The file has no customer rows under its header$/],
      ['only separators', ',,,\n,,\n', 400, /^The file is empty$/],
      ['a broken quote', 'customer_id,name,phone\nC1,"Bad"quote,9000000001\n', 400, /^The file could not be read as CSV/],
      ['no phone column', 'Customer Id,Full Name,City\nC1,X,Y\n', 400,
        /^No phone column: name one of phone, phone_number, mobile.*Columns found: Customer Id, Full Name, City$/],
      ['a PNG image', png, 415, /^This is a PNG image\. Upload a CSV file/],
      ['a legacy .xls', Buffer.from([0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1]), 415, /legacy Excel \(\.xls\)/],
      ['binary data', Buffer.from([0x01, 0x02, 0x00, 0x03, 0x00, 0x41]), 415, /^This is not a text file/],
      ['a ZIP that is no workbook', Buffer.from('PK\x03\x04garbage that is not a zip at all'), 415,
        /^The workbook could not be read/],
      ['too many columns', `${Array.from({ length: 101 }, (_, i) => `c${i}`).join(',')}\n`, 400, /101 columns; at most 100/]
    ]
    for (const [name, content, status, message] of cases) {
      const response = await upload(content)
      t.equal(response.statusCode, status, name)
      t.match(response.json(), { success: false, message }, name)
    }

    const json = await app.inject({
      method: 'POST', url: '/api/upload-customers', payload: { file: 'x' }, headers: { authorization }
    })
    t.equal(json.statusCode, 415)
    t.same(json.json(), { success: false, message: 'Send the file as multipart/form-data, in a field named "file"' })

    const boundary = 'b0undary'
    const fieldOnly = await app.inject({
      method: 'POST',
      url: '/api/upload-customers',
      payload: `--${boundary}\r\nContent-Disposition: form-data; name="note"\r\n\r\nhello\r\n--${boundary}--\r\n`,
      headers: { authorization, 'content-type': `multipart/form-data; boundary=${boundary}` }
    })
    t.equal(fieldOnly.statusCode, 400)
    t.same(fieldOnly.json(), { success: false, message: 'No file uploaded: send it in a multipart field named "file"' })

    const noBoundary = await app.inject({
      method: 'POST', url: '/api/upload-customers', payload: 'x', headers: { authorization, 'content-type': 'multipart/form-data' }
    })
    t.equal(noBoundary.statusCode, 400)
    t.match(noBoundary.json(), { success: false, message: /^The upload is not multipart\/form-data that can be read/ })

    const fields = Array.from({ length: 25 }, (_, i) => `--${boundary}\r\nContent-Disposition: form-data; name="f${i}"\r\n\r\nx\r\n`)
    const tooManyFields = await app.inject({
      method: 'POST',
      url: '/api/upload-customers',
      payload: `${fields.join('')}--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="a.csv"\r\n\r\nphone\n9000000001\r\n--${boundary}--\r\n`,
      headers: { authorization, 'content-type': `multipart/form-data; boundary=${boundary}` }
    })
    t.equal(tooManyFields.statusCode, 413, 'a form with more fields than an upload needs')
    t.same(tooManyFields.json(), {
      success: false, message: 'The form has too many fields: send only the file, in a field named "file"'
    })

    const { payload, headers } = multipartFile('customer_id,name,phone\nC1,X,9000000701\n')
    const cut = await app.inject({
      method: 'POST',
      url: '/api/upload-customers',
      payload: payload.subarray(0, payload.length - 20),
      headers: { ...headers, authorization }
    })
    t.equal(cut.statusCode, 400)
    t.match(cut.json(), { success: false, message: /^The upload is not a complete multipart\/form-data body/ })

    t.equal((await app.inject({ url: '/health' })).statusCode, 200)
    t.equal((await upload('phone\n9000000702\n')).statusCode, 200, 'and the next upload works')
  })

  t.test('each upload records who made it and when, newest first', async (t) => {
    const list = (await get('/api/uploads?limit=2')).json()
    t.equal(list.uploads.length, 2)
    t.ok(list.total > 2)
    t.match(list.uploads[0], {
      id: /^[0-9a-f-]{36}$/, user_sub: sub, file_name: 'customers.csv', format: 'csv', status: 'completed', error: null
    })
    t.ok(Date.parse(list.uploads[0].created_at) >= Date.parse(list.uploads[1].created_at))
    const failed = (await get('/api/uploads?limit=100')).json().uploads.find((u: { status: string }) => u.status === 'failed')
    t.match(failed, { error: /^The file has 101 columns; at most 100 are read$/, finished_at: String }, 'failures too')
  })
})

t.test('limits on the file', async (t) => {
  const { upload } = await signedInApp(t, { UPLOAD_MAX_BYTES: '1024' })
  const big = `customer_id,name,phone\n${Array.from({ length: 100 }, (_, i) => `C${i},Name ${i},${9000000000 + i}`).join('\n')}`
  const response = await upload(big)
  t.equal(response.statusCode, 413)
  t.same(response.json(), { success: false, message: 'The file is larger than the 1 KB limit' })
})

/** A real workbook (written by ExcelJS) with some of its parts replaced, zipped as Excel zips. */
async function workbookWith (parts: Record<string, string>): Promise<Buffer> {
  const workbook = new ExcelJS.Workbook()
  workbook.addWorksheet('Customers').addRows([['customer_id', 'name', 'phone'], ['W1', 'Workbook', '9000000801']])
  const zip = await JSZip.loadAsync(await workbook.xlsx.writeBuffer())
  for (const [name, content] of Object.entries(parts)) zip.file(name, content)
  return await zip.generateAsync({ type: 'nodebuffer', compression: 'DEFLATE', compressionOptions: { level: 9 } })
}

const sheet = (rows: string) =>
  '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>' +
  '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>' +
  '<row r="1"><c r="A1" t="inlineStr"><is><t>phone</t></is></c></row>' +
  `<row r="2"><c r="A2" t="inlineStr"><is><t>9000000802</t></is></c></row>${rows}</sheetData></worksheet>`

t.test('files that would cost too much to read are refused as soon as a limit is crossed, naming it', async (t) => {
  const { app, upload, authorization } = await signedInApp(t, {
    UPLOAD_MAX_ROWS: '1000', UPLOAD_MAX_CELL_CHARS: '1000', UPLOAD_MAX_EXPANDED_BYTES: String(2 * 1024 * 1024)
  })
  const before = await customerCount(app)
  const refused = async (name: string, content: string | Buffer, status: number, message: RegExp, fileName?: string) => {
    const response = await upload(content, fileName)
    t.equal(response.statusCode, status, name)
    t.match(response.json(), { success: false, message }, name)
  }

  const longCell = `phone,note\n9000000803,short\n9000000804,${'x'.repeat(5_000_000)}\n9000000805,short\n`
  await refused('a CSV cell of 5 MB', longCell, 413, /^Row 3 has a cell longer than 1000 characters, the most a cell may hold$/)
  await refused('a quoted CSV cell with separators and newlines in it',
    `phone,note\n9000000803,"${'a,b\n'.repeat(300)}"\n`, 413, /^Row 2 has a cell longer than 1000 characters/)
  t.equal((await upload(`phone,note\n9000000806,"${'a,b\n'.repeat(240)}"\n`)).statusCode, 200, 'a cell just under the limit is read')

  const longHeaders = Array.from({ length: 30 }, (_, i) => `${i}`.padEnd(900, 'h'))
  const noPhone = await upload(`${longHeaders.join(',')}\n1,2\n`)
  t.equal(noPhone.statusCode, 400)
  t.match(noPhone.json().message, /^No phone column: .* Columns found: 0h{39}\.\.\., 1h{39}\.\.\., .* and 20 more$/,
    'a message quotes the file\'s headers cut short, never the whole file')
  t.ok(noPhone.json().message.length < 600)

  const blankRows = `phone\n9000000807\n${'\n'.repeat(1000)}9000000808\n`
  await refused('blank CSV rows count toward the row limit', blankRows, 413, /^The file has more than 1000 rows; split it/)
  await refused('blank workbook rows too', await workbookWith({ 'xl/worksheets/sheet1.xml': sheet('<row/>'.repeat(1000)) }),
    413, /^The file has more than 1000 rows/, 'blank.xlsx')

  const utf8 = Buffer.from(`name,phone,note\n${Array.from({ length: 900 }, (_, i) => `Zoë ${i},${9000001000 + i},${'ë'.repeat(50)}`).join('\n')}\n`)
  t.ok(utf8.length > 64 * 1024, 'past the sample that chooses the encoding')
  await refused('Windows-1252 text after the first 64 KB of a UTF-8 file',
    Buffer.concat([utf8, Buffer.from('José Müller,9000000810,x\n', 'latin1')]), 422,
    /^Row 902 is not valid UTF-8 text: save the whole file in one encoding \(in Excel, "CSV UTF-8"\) and upload it again$/)

  await refused('a workbook cell of 5 MB', await workbookWith({
    'xl/worksheets/sheet1.xml': sheet(`<row r="3"><c r="A3" t="inlineStr"><is><t>${'9'.repeat(5_000_000)}</t></is></c></row>`)
  }), 413, /^The workbook has a cell longer than 1000 characters/, 'cell.xlsx')
  await refused('a workbook cell just over the limit, whose text passes the scan', await workbookWith({
    'xl/worksheets/sheet1.xml': sheet(`<row r="3"><c r="A3" t="inlineStr"><is><t>${'9'.repeat(1001)}</t></is></c></row>`)
  }), 413, /^Row 3 has a cell longer than 1000 characters/, 'cell.xlsx')
  const bigRows = Array.from({ length: 900 }, (_, i) =>
    `<row r="${i + 3}"><c r="A${i + 3}" t="inlineStr"><is><t>${String(i).repeat(1 + 3000 / String(i).length)}</t></is></c></row>`)
  await refused('a workbook that expands past UPLOAD_MAX_EXPANDED_BYTES',
    await workbookWith({ 'xl/worksheets/sheet1.xml': sheet(bigRows.join('')) }), 413,
    /^The workbook expands to more than 2 MB when unzipped, the most a customer file may/, 'big.xlsx')
  await refused('a shared-strings table past half of it', await workbookWith({
    'xl/sharedStrings.xml': `<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">${'<si><t>abc</t></si>'.repeat(80_000)}</sst>`
  }), 413, /^The workbook's part xl\/sharedStrings\.xml expands to more than 1 MB when unzipped/, 'strings.xlsx')
  await refused('any other part past an eighth of it', await workbookWith({ 'xl/theme/theme1.xml': `<a>${' '.repeat(300_000)}</a>` }),
    413, /^The workbook's part xl\/theme\/theme1\.xml expands to more than 0\.3 MB/, 'theme.xlsx')

  const { payload, headers } = multipartFile(longCell, 'numbers.csv')
  const suppressions = await app.inject({ method: 'POST', url: '/api/suppressions/upload', payload, headers: { ...headers, authorization } })
  t.equal(suppressions.statusCode, 413, 'the suppression upload has the same limits')
  t.match(suppressions.json(), { success: false, message: /^Row 3 has a cell longer than 1000 characters/ })

  const longName = await upload('phone\n9000000812\n', `${'n'.repeat(300)}.csv`)
  t.equal(longName.statusCode, 400)
  t.same(longName.json(), { success: false, message: 'The file name is longer than 255 characters' })

  t.equal(await customerCount(app), before + 1, 'nothing was written from a refused file')
  t.equal((await upload('phone\n9000000811\n')).statusCode, 200, 'and the next upload works')
})

t.test('a workbook that expands more than 100 times its size is refused before it is read (blank rows by the million)', async (t) => {
  const { upload } = await signedInApp(t)
  const bomb = await workbookWith({ 'xl/worksheets/sheet1.xml': sheet('<row/>'.repeat(2_000_000)) })
  t.ok(bomb.length < 200_000, `${bomb.length} bytes that expand to 12 MB`)
  const response = await upload(bomb, 'blank.xlsx')
  t.equal(response.statusCode, 413)
  t.match(response.json(), { success: false, message: /^The workbook expands to more than 100 times its size when unzipped/ })
})
