// Start a real atproto PDS (with its PLC directory) on loopback for the Bluesky tests.
// Prints one JSON line {"url": ...} once it accepts requests; runs until killed.
const { TestPlc, TestPds } = require('@atproto/dev-env')
const net = require('node:net')

const freePort = () =>
  new Promise((resolve, reject) => {
    const srv = net.createServer()
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address()
      srv.close(() => resolve(port))
    })
    srv.on('error', reject)
  })

;(async () => {
  const plc = await TestPlc.create({})
  const port = await freePort()
  const pds = await TestPds.create({ didPlcUrl: plc.url, port })
  process.stdout.write(JSON.stringify({ url: `http://127.0.0.1:${port}` }) + '\n')
})().catch((err) => {
  console.error(err)
  process.exit(1)
})
