import KeelCore

/// A zip archive (PKWARE APPNOTE 6.3) of stored, uncompressed members: what the evidence pack
/// endpoint answers with. Members over 4 GiB, and more than 65,535 members, are not supported
/// (no ZIP64): a pack's files are far smaller. Times are written as 1980-01-01, the format's
/// epoch, so one pack's archive is the same bytes however often it is built.
enum ZipArchive {
    static func make(_ files: [(path: String, bytes: [UInt8])]) -> [UInt8] {
        var archive: [UInt8] = []
        var central: [UInt8] = []
        for (path, bytes) in files {
            let name = Array(path.utf8)
            let crc = CRC32.checksum(bytes)
            let offset = UInt32(archive.count)
            // Local file header.
            Self.append32(0x0403_4B50, &archive)
            Self.append16(20, &archive)  // version needed: 2.0
            Self.append16(0x0800, &archive)  // flags: UTF-8 names
            Self.append16(0, &archive)  // method: stored
            Self.append16(0, &archive)  // time
            Self.append16(0x21, &archive)  // date: 1980-01-01
            Self.append32(crc, &archive)
            Self.append32(UInt32(bytes.count), &archive)
            Self.append32(UInt32(bytes.count), &archive)
            Self.append16(UInt16(name.count), &archive)
            Self.append16(0, &archive)
            archive += name
            archive += bytes
            // Central directory entry.
            Self.append32(0x0201_4B50, &central)
            Self.append16(0x031E, &central)  // made by: Unix, 3.0
            Self.append16(20, &central)
            Self.append16(0x0800, &central)
            Self.append16(0, &central)
            Self.append16(0, &central)
            Self.append16(0x21, &central)
            Self.append32(crc, &central)
            Self.append32(UInt32(bytes.count), &central)
            Self.append32(UInt32(bytes.count), &central)
            Self.append16(UInt16(name.count), &central)
            Self.append16(0, &central)  // extra
            Self.append16(0, &central)  // comment
            Self.append16(0, &central)  // disk
            Self.append16(0, &central)  // internal attributes
            Self.append32(0o100644 << 16, &central)  // external: a regular file, rw-r--r--
            Self.append32(offset, &central)
            central += name
        }
        let centralOffset = UInt32(archive.count)
        archive += central
        Self.append32(0x0605_4B50, &archive)
        Self.append16(0, &archive)
        Self.append16(0, &archive)
        Self.append16(UInt16(files.count), &archive)
        Self.append16(UInt16(files.count), &archive)
        Self.append32(UInt32(central.count), &archive)
        Self.append32(centralOffset, &archive)
        Self.append16(0, &archive)
        return archive
    }

    private static func append16(_ value: UInt16, _ bytes: inout [UInt8]) {
        bytes.append(UInt8(value & 0xFF))
        bytes.append(UInt8(value >> 8))
    }

    private static func append32(_ value: UInt32, _ bytes: inout [UInt8]) {
        for shift in stride(from: 0, to: 32, by: 8) { bytes.append(UInt8((value >> UInt32(shift)) & 0xFF)) }
    }
}
