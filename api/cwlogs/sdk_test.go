package cwlogs_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs/types"

	"github.com/stepwise-dev/stepwise/api/cwlogs"
)

// TestSDK drives the endpoint with the AWS SDK for Go v2 CloudWatch Logs
// client: every operation, its paginators and AWS's error types.
func TestSDK(t *testing.T) {
	t.Parallel()
	_, url := newServer(t, cwlogs.Config{})
	c := cloudwatchlogs.New(cloudwatchlogs.Options{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(url),
		Credentials:  credentials.NewStaticCredentialsProvider("AKIDSTEPWISE", "not-a-secret", ""),
	})
	ctx := context.Background()
	const g = "/aws/vendedlogs/states/sdk"
	if _, err := c.CreateLogGroup(ctx, &cloudwatchlogs.CreateLogGroupInput{LogGroupName: aws.String(g)}); err != nil {
		t.Fatalf("CreateLogGroup: %v", err)
	}
	_, err := c.CreateLogGroup(ctx, &cloudwatchlogs.CreateLogGroupInput{LogGroupName: aws.String(g)})
	var exists *types.ResourceAlreadyExistsException
	if !errors.As(err, &exists) {
		t.Errorf("CreateLogGroup again = %v; want ResourceAlreadyExistsException", err)
	}
	_, err = c.CreateLogGroup(ctx, &cloudwatchlogs.CreateLogGroupInput{LogGroupName: aws.String("a b")})
	var invalid *types.InvalidParameterException
	if !errors.As(err, &invalid) {
		t.Errorf("CreateLogGroup(a b) = %v; want InvalidParameterException", err)
	}
	groups, err := c.DescribeLogGroups(ctx, &cloudwatchlogs.DescribeLogGroupsInput{LogGroupNamePrefix: aws.String("/aws/")})
	if err != nil || len(groups.LogGroups) != 1 {
		t.Fatalf("DescribeLogGroups = %+v, %v; want one group", groups, err)
	}
	lg := groups.LogGroups[0]
	arn := "arn:aws:logs:us-east-1:111111111111:log-group:" + g
	if aws.ToString(lg.LogGroupName) != g || aws.ToString(lg.Arn) != arn+":*" || aws.ToString(lg.LogGroupArn) != arn ||
		aws.ToInt64(lg.CreationTime) != nowMS || lg.LogGroupClass != types.LogGroupClassStandard || aws.ToInt32(lg.MetricFilterCount) != 0 {
		t.Errorf("DescribeLogGroups = %+v", lg)
	}

	if _, err := c.CreateLogStream(ctx, &cloudwatchlogs.CreateLogStreamInput{LogGroupName: aws.String(g), LogStreamName: aws.String("s")}); err != nil {
		t.Fatalf("CreateLogStream: %v", err)
	}
	var events []types.InputLogEvent
	for i := range 25 {
		events = append(events, types.InputLogEvent{Timestamp: aws.Int64(nowMS + int64(i)), Message: aws.String(fmt.Sprintf("m%02d", i))})
	}
	put, err := c.PutLogEvents(ctx, &cloudwatchlogs.PutLogEventsInput{LogGroupName: aws.String(g), LogStreamName: aws.String("s"), LogEvents: events})
	if err != nil || aws.ToString(put.NextSequenceToken) == "" || put.RejectedLogEventsInfo != nil {
		t.Fatalf("PutLogEvents = %+v, %v; want a token, nothing rejected", put, err)
	}
	_, err = c.PutLogEvents(ctx, &cloudwatchlogs.PutLogEventsInput{LogGroupName: aws.String(g), LogStreamName: aws.String("nope"), LogEvents: events})
	var notFound *types.ResourceNotFoundException
	if !errors.As(err, &notFound) || aws.ToString(notFound.Message) != "The specified log stream does not exist." {
		t.Errorf("PutLogEvents(missing stream) = %v; want ResourceNotFoundException", err)
	}
	late, err := c.PutLogEvents(ctx, &cloudwatchlogs.PutLogEventsInput{LogGroupName: aws.String(g), LogStreamName: aws.String("s"),
		LogEvents: []types.InputLogEvent{{Timestamp: aws.Int64(nowMS + 30), Message: aws.String("m25")}, {Timestamp: aws.Int64(nowMS + 3*3600*1000), Message: aws.String("late")}}})
	if err != nil || late.RejectedLogEventsInfo == nil || aws.ToInt32(late.RejectedLogEventsInfo.TooNewLogEventStartIndex) != 1 {
		t.Errorf("PutLogEvents(too new) = %+v, %v; want tooNewLogEventStartIndex 1", late, err)
	}

	streams, err := c.DescribeLogStreams(ctx, &cloudwatchlogs.DescribeLogStreamsInput{LogGroupIdentifier: aws.String(arn), OrderBy: types.OrderByLastEventTime, Descending: aws.Bool(true)})
	if err != nil || len(streams.LogStreams) != 1 {
		t.Fatalf("DescribeLogStreams = %+v, %v", streams, err)
	}
	if st := streams.LogStreams[0]; aws.ToString(st.LogStreamName) != "s" || aws.ToInt64(st.FirstEventTimestamp) != nowMS ||
		aws.ToInt64(st.LastEventTimestamp) != nowMS+30 || aws.ToInt64(st.LastIngestionTime) != nowMS || aws.ToString(st.Arn) != arn+":log-stream:s" {
		t.Errorf("DescribeLogStreams = %+v", st)
	}

	// The SDK's paginator follows the stream like tail -f; with
	// StopOnDuplicateToken it stops where the forward token repeats.
	var got []string
	pages := cloudwatchlogs.NewGetLogEventsPaginator(c, &cloudwatchlogs.GetLogEventsInput{LogGroupName: aws.String(g), LogStreamName: aws.String("s"),
		StartFromHead: aws.Bool(true), Limit: aws.Int32(10)}, func(o *cloudwatchlogs.GetLogEventsPaginatorOptions) { o.StopOnDuplicateToken = true })
	for n := 0; pages.HasMorePages(); n++ {
		if n > 10 {
			t.Fatal("GetLogEvents paginator: more than 10 pages")
		}
		p, err := pages.NextPage(ctx)
		if err != nil {
			t.Fatalf("GetLogEvents: %v", err)
		}
		for _, e := range p.Events {
			got = append(got, aws.ToString(e.Message))
		}
	}
	if want := numbered(0, 26); !slices.Equal(got, want) {
		t.Errorf("GetLogEvents pages = %v; want %v", got, want)
	}
	newest, err := c.GetLogEvents(ctx, &cloudwatchlogs.GetLogEventsInput{LogGroupName: aws.String(g), LogStreamName: aws.String("s"), Limit: aws.Int32(2)})
	if err != nil || len(newest.Events) != 2 || aws.ToString(newest.Events[1].Message) != "m25" || aws.ToInt64(newest.Events[1].IngestionTime) != nowMS {
		t.Errorf("GetLogEvents(newest 2) = %+v, %v", newest, err)
	}

	got = nil
	filter := cloudwatchlogs.NewFilterLogEventsPaginator(c, &cloudwatchlogs.FilterLogEventsInput{LogGroupName: aws.String(g), FilterPattern: aws.String("m1"), Limit: aws.Int32(4)})
	for pages := 0; filter.HasMorePages(); pages++ {
		if pages > 10 {
			t.Fatal("FilterLogEvents paginator: more than 10 pages")
		}
		p, err := filter.NextPage(ctx)
		if err != nil {
			t.Fatalf("FilterLogEvents: %v", err)
		}
		for _, e := range p.Events {
			if aws.ToString(e.LogStreamName) != "s" || aws.ToString(e.EventId) == "" {
				t.Errorf("FilterLogEvents event = %+v", e)
			}
			got = append(got, aws.ToString(e.Message))
		}
	}
	if want := numbered(10, 20); !slices.Equal(got, want) {
		t.Errorf("FilterLogEvents(m1) = %v; want %v", got, want)
	}

	if _, err := c.DeleteLogStream(ctx, &cloudwatchlogs.DeleteLogStreamInput{LogGroupName: aws.String(g), LogStreamName: aws.String("s")}); err != nil {
		t.Errorf("DeleteLogStream: %v", err)
	}
	if _, err := c.DeleteLogGroup(ctx, &cloudwatchlogs.DeleteLogGroupInput{LogGroupName: aws.String(g)}); err != nil {
		t.Errorf("DeleteLogGroup: %v", err)
	}
	_, err = c.GetLogEvents(ctx, &cloudwatchlogs.GetLogEventsInput{LogGroupName: aws.String(g), LogStreamName: aws.String("s")})
	if !errors.As(err, &notFound) || aws.ToString(notFound.Message) != "The specified log group does not exist." {
		t.Errorf("GetLogEvents(deleted group) = %v; want ResourceNotFoundException", err)
	}
}
