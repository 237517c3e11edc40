import { describe, expect, it } from "vitest";
import { buildTag, sifName } from "./images";

describe("image names", () => {
  it("names the SIF after the image's last component, with its tag unless latest", () => {
    expect(sifName("base")).toBe("base.sif");
    expect(sifName("localhost/base:latest")).toBe("base.sif");
    expect(sifName("localhost/alice/train:v2")).toBe("train_v2.sif");
    expect(sifName("registry.example.org:5000/ml/pytorch:2.4")).toBe("pytorch_2.4.sif");
    expect(sifName(`base@sha256:${"a".repeat(64)}`)).toBe("base.sif");
  });

  it("tags builds under the builder's name and refuses names that would leave it", () => {
    expect(buildTag("alice", "train:v2")).toBe("localhost/alice/train:v2");
    expect(() => buildTag("alice", "../bob/train")).toThrow(/--tag: '..\/bob\/train' is not NAME\[:TAG\]/);
    expect(() => buildTag("alice", "bob/train")).toThrow(/is not NAME\[:TAG\]/);
  });
});
