// JinjaTemplateTests.swift — chat templates (ChatML, MiniMind, Qwen2.5, Llama 3, Llama 3.2, Zephyr, Mistral) rendered as jinja2
// renders them for transformers' apply_chat_template (scripts/make_chat_template_fixtures.py): system, multi-turn,
// add_generation_prompt, reasoning and tool cases, and the exceptions a template raises; unsupported constructs refused
// with their position.
import Foundation
import Testing
@testable import MnemoData
@testable import MnemoSupport

@Suite struct JinjaTemplateTests {
    /// The script's PINNED_NOW (2026-12-07 12:00, local time): what strftime_now reads.
    static let pinnedNow = Calendar(identifier: .gregorian).date(from: DateComponents(timeZone: .current, year: 2026, month: 12, day: 7, hour: 12))!

    @Test func everyTemplateRendersAsJinja2Does() throws {
        let url = try #require(Bundle.module.url(forResource: "chat_templates", withExtension: "json", subdirectory: "Fixtures"))
        let fixtures = try JSONParser.parse(try String(contentsOf: url, encoding: .utf8))
        var checked = 0
        for fixture in fixtures.array ?? [] {
            let name = fixture["name"]?.string ?? "?"
            let template = try JinjaTemplate(try #require(fixture["source"]?.string))
            for c in fixture["cases"]?.array ?? [] {
                var variables: [String: JinjaValue] = ["messages": JinjaValue(c["messages"]!), "bos_token": .string("<s>"),
                                                       "eos_token": .string("</s>"),
                                                       "add_generation_prompt": .bool(c["add_generation_prompt"]?.bool ?? false)]
                if let tools = c["tools"], !tools.isNull { variables["tools"] = JinjaValue(tools) } else { variables["tools"] = JinjaValue.none }
                if let expected = c["output"]?.string {
                    let got = try template.render(variables, now: Self.pinnedNow)
                    #expect(got == expected, "\(name): \(c["messages"]!.text(limit: 80))\n--- got ---\n\(got)\n--- jinja2 ---\n\(expected)")
                } else {
                    let message = try #require(c["error"]?.string)
                    #expect { _ = try template.render(variables, now: Self.pinnedNow) } throws: { "\($0)".contains(message) }
                }
                checked += 1
            }
        }
        #expect(checked == 62)
    }

    @Test func unsupportedConstructsAreRefusedWithTheirPosition() {
        for (source, message) in [("hi\n{% macro f() %}x{% endmacro %}", "2:4: unsupported construct 'macro'"),
                                  ("{{ x | wordcount }}", "1:6: unsupported filter 'wordcount'"),
                                  ("{% if x %}open", "the template ends before elif / else / endif"),
                                  ("{{ 'unclosed }}", "1:1: a tag opened here is never closed"),
                                  ("{% for x in y %}{% endif %}", "'endif' without its opening tag"),
                                  ("{{ x | tojson(sort_keys=true) }}", "tojson: unsupported argument sort_keys"),
                                  ("{{ x | trim(chars='a') }}", "the filter 'trim' takes no keyword argument 'chars'"),
                                  ("{{ strftime_now('%c') }}", "unsupported specifier %c")] {
            #expect { let t = try JinjaTemplate(source); _ = try t.render(["x": .string("a b")]) } throws: {
                "\($0)".contains(message)
            }
        }
    }
}
