import ServiceKit
import StatesLanguage
import Testing
@testable import Messaging

/// SQS's query protocol through its model: form parameters become the JSON input the actions
/// take, JSON answers become AWS's XML.
@Suite struct SQSQueryProtocolTests {
    let model = SQSQueryModel.model

    @Test func aBatchWithAttributesDecodesToTheJSONProtocolsInput() {
        let input = model.input("SendMessageBatch", [
            "QueueUrl": "http://h/000000000000/q",
            "SendMessageBatchRequestEntry.1.Id": "a", "SendMessageBatchRequestEntry.1.MessageBody": "x",
            "SendMessageBatchRequestEntry.1.DelaySeconds": "5",
            "SendMessageBatchRequestEntry.1.MessageAttribute.1.Name": "k",
            "SendMessageBatchRequestEntry.1.MessageAttribute.1.Value.DataType": "String",
            "SendMessageBatchRequestEntry.1.MessageAttribute.1.Value.StringValue": "v",
            "SendMessageBatchRequestEntry.2.Id": "b", "SendMessageBatchRequestEntry.2.MessageBody": "y",
        ])
        let entries = input["Entries"]?.arrayValue ?? []
        #expect(entries.count == 2)
        #expect(entries.first?["DelaySeconds"] == .int(5))
        #expect(entries.first?["MessageAttributes"]?["k"]?["StringValue"] == "v")
        #expect(entries.last?["Id"] == "b")
    }

    @Test func aReceivedMessageIsWrittenAsAWSWritesIt() {
        let xml = String(decoding: model.answer("ReceiveMessage", ["Messages": [[
            "MessageId": "m", "Body": "a<b & \"c\"\r", "Attributes": ["SenderId": "s"],
            "MessageAttributes": ["k": ["DataType": "String", "StringValue": "v"]],
        ]]], requestId: "r"), as: UTF8.self)
        #expect(xml.contains("<ReceiveMessageResult><Message><MessageId>m</MessageId>"))
        #expect(xml.contains("<Body>a&lt;b &amp; &quot;c&quot;&#xD;</Body>"))
        #expect(xml.contains("<Attribute><Name>SenderId</Name><Value>s</Value></Attribute>"))
        #expect(xml.contains("<MessageAttribute><Name>k</Name><Value><StringValue>v</StringValue><DataType>String</DataType></Value></MessageAttribute>"))
        #expect(xml.contains("<ResponseMetadata><RequestId>r</RequestId></ResponseMetadata>"))
    }

    @Test func errorsCarryTheQueryCodeAndTheSQSDetail() {
        #expect(model.queryError("QueueDoesNotExist").code == "AWS.SimpleQueueService.NonExistentQueue")
        let xml = String(decoding: model.error(type: "Sender", code: "X", message: "m", requestId: "r", detail: true), as: UTF8.self)
        #expect(xml.contains("<Error><Type>Sender</Type><Code>X</Code><Message>m</Message><Detail/></Error>"))
    }
}
