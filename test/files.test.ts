/**
 * lib/files.ts: bounded reads of user files (regular files only, a size limit that says its number) and atomic
 * writes that leave no temp file behind and say, in one line, which path failed and why (ENOSPC injected here; the
 * real full disk is test/e2e/cli.test.ts).
 */
import { expect } from "chai";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { createRequire } from "module";
import { z } from "zod";
import { UserError } from "../lib/errors";
import { loadJsonFile, readBounded, writeAtomic, writeError } from "../lib/files";

describe("files: bounded reads and atomic writes", () => {
  let dir: string;
  beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), "fer-files-"))));
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it("a device, a folder and a file over the limit are one line each, before any byte is read", () => {
    expect(() => readBounded("/dev/zero", "run record", "give a run.json", 1024)).to.throw(
      UserError,
      /^run record \/dev\/zero is not a regular file \(a device\): give a run\.json$/,
    );
    expect(() => readBounded(dir, "run record", "h", 1024)).to.throw(UserError, /is not a regular file \(a folder\)/);
    const big = path.join(dir, "big.json");
    fs.writeFileSync(big, Buffer.alloc(3_000_000, 32));
    expect(() => readBounded(big, "run record", "h", 2_000_000)).to.throw(
      UserError,
      /big\.json is 3\.0 MB, over the 2 MB a run record can be: h$/,
    );
    expect(() => loadJsonFile(path.join(dir, "none.json"), z.object({}), "summary", "h")).to.throw(
      UserError,
      /^cannot read summary .*none\.json \(ENOENT\): h$/,
    );
  });

  it("a write that fails with ENOSPC removes its temp file and names the path and the cause", () => {
    // The fs module object itself (lib/files.ts reads its functions through it), not this file's import view.
    const cjs = createRequire(__filename)("fs") as { writeFileSync: typeof fs.writeFileSync };
    const real = cjs.writeFileSync;
    const file = path.join(dir, "out.json");
    cjs.writeFileSync = (f: fs.PathOrFileDescriptor, d: string | NodeJS.ArrayBufferView) => {
      real(f, String(d).slice(0, 3)); // a partial write, then the disk is full
      throw Object.assign(new Error("ENOSPC: no space left on device, write"), { code: "ENOSPC" });
    };
    try {
      expect(() => writeAtomic(file, '{"a": 1}')).to.throw(
        UserError,
        /^cannot write .*out\.json \(ENOSPC\): the disk is full: free some space and run again$/,
      );
    } finally {
      cjs.writeFileSync = real;
    }
    expect(fs.readdirSync(dir)).to.deep.equal([]);
  });

  it("writeError: causes a user can act on become one line; others stay what they were", () => {
    const e = (code: string) => Object.assign(new Error(code), { code });
    expect(writeError("/x/y", e("EACCES")).message).to.equal(
      "cannot write /x/y (EACCES): no permission to write there: choose another folder or fix its permissions",
    );
    expect(writeError("/x/y", e("EROFS"))).to.be.instanceOf(UserError);
    const other = e("EIO");
    expect(writeError("/x/y", other)).to.equal(other);
  });
});
