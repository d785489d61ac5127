<?php
// Symfony Messenger's Redis transport (streams, consumer groups, and a sorted set for delayed
// messages) through phpredis: a message bus routing to the transport, a worker handling the
// messages with the worker events, a message retried after the retry strategy's delay, a
// message that ends in the failure transport, a delayed message, and a message abandoned by one
// consumer and claimed by another after redeliver_timeout.

require_once 'Symfony/Component/Messenger/autoload.php';
require_once 'Symfony/Component/EventDispatcher/autoload.php';
require_once 'Psr/Container/autoload.php';

use Psr\Container\ContainerInterface;
use Symfony\Component\EventDispatcher\EventDispatcher;
use Symfony\Component\Messenger\Bridge\Redis\Transport\Connection;
use Symfony\Component\Messenger\Bridge\Redis\Transport\RedisTransport;
use Symfony\Component\Messenger\Envelope;
use Symfony\Component\Messenger\Event\WorkerMessageFailedEvent;
use Symfony\Component\Messenger\Event\WorkerMessageHandledEvent;
use Symfony\Component\Messenger\Event\WorkerMessageRetriedEvent;
use Symfony\Component\Messenger\Event\WorkerRunningEvent;
use Symfony\Component\Messenger\EventListener\AddErrorDetailsStampListener;
use Symfony\Component\Messenger\EventListener\SendFailedMessageForRetryListener;
use Symfony\Component\Messenger\EventListener\SendFailedMessageToFailureTransportListener;
use Symfony\Component\Messenger\Handler\HandlersLocator;
use Symfony\Component\Messenger\MessageBus;
use Symfony\Component\Messenger\Middleware\HandleMessageMiddleware;
use Symfony\Component\Messenger\Middleware\SendMessageMiddleware;
use Symfony\Component\Messenger\Retry\MultiplierRetryStrategy;
use Symfony\Component\Messenger\Stamp\DelayStamp;
use Symfony\Component\Messenger\Stamp\ErrorDetailsStamp;
use Symfony\Component\Messenger\Stamp\RedeliveryStamp;
use Symfony\Component\Messenger\Stamp\SentToFailureTransportStamp;
use Symfony\Component\Messenger\Transport\Sender\SendersLocator;
use Symfony\Component\Messenger\Transport\Serialization\PhpSerializer;
use Symfony\Component\Messenger\Worker;

final class Job
{
    public function __construct(public string $id, public string $kind, public int $n = 0) {}
}

final class Locator implements ContainerInterface
{
    public function __construct(private array $services) {}
    public function get(string $id): mixed { return $this->services[$id]; }
    public function has(string $id): bool { return isset($this->services[$id]); }
}

function expect(string $what, $actual, $expected): void
{
    if ($actual !== $expected) {
        throw new RuntimeException("$what: expected " . var_export($expected, true) . ', got ' .
            var_export($actual, true));
    }
}

function onTime(string $what, float $actual, float $due, float $slack = 4.0): void
{
    if ($actual < $due - 0.005) throw new RuntimeException(sprintf('%s ran %.3fs early', $what, $due - $actual));
    if ($actual > $due + $slack) throw new RuntimeException(sprintf('%s ran %.3fs late', $what, $actual - $due));
}

function dsn(string $stream): string
{
    return sprintf('redis://%s:%d/%s', getenv('REDIS_HOST') ?: '127.0.0.1', (int) (getenv('REDIS_PORT') ?: 6379), $stream);
}

function main(): void
{
    $raw = new Redis();
    $raw->connect(getenv('REDIS_HOST') ?: '127.0.0.1', (int) (getenv('REDIS_PORT') ?: 6379));
    $raw->flushAll();

    $serializer = new PhpSerializer();
    $async = new RedisTransport(Connection::fromDsn(dsn('compat-messages'), [
        'group' => 'workers', 'consumer' => 'worker-1', 'delete_after_ack' => true]), $serializer);
    $failed = new RedisTransport(Connection::fromDsn(dsn('compat-failed'), [
        'group' => 'failed', 'consumer' => 'inspector', 'delete_after_ack' => true]), $serializer);
    $senders = new Locator(['async' => $async, 'failed' => $failed]);

    $ran = [];
    $results = [];
    $handler = function (Job $job) use (&$ran, &$results) {
        $ran[$job->id][] = microtime(true);
        switch ($job->kind) {
            case 'square':
                $results[$job->id] = $job->n * $job->n;
                break;
            case 'flaky':
                if (count($ran[$job->id]) === 1) throw new RuntimeException('flaky: first attempt fails');
                $results[$job->id] = 'recovered';
                break;
            case 'broken':
                throw new RuntimeException('broken: always fails');
            case 'delayed':
                $results[$job->id] = 'on time';
                break;
        }
    };
    $bus = new MessageBus([
        new SendMessageMiddleware(new SendersLocator([Job::class => ['async']], $senders)),
        new HandleMessageMiddleware(new HandlersLocator([Job::class => [$handler]])),
    ]);

    $dispatcher = new EventDispatcher();
    // One retry, 1 s after the first failure; then the failure transport.
    $dispatcher->addSubscriber(new SendFailedMessageForRetryListener(
        $senders, new Locator(['async' => new MultiplierRetryStrategy(1, 1000, 1)]), null, $dispatcher));
    $dispatcher->addSubscriber(new SendFailedMessageToFailureTransportListener(new Locator(['async' => $failed])));
    $dispatcher->addSubscriber(new AddErrorDetailsStampListener());
    $handled = $failures = $retried = [];
    $dispatcher->addListener(WorkerMessageHandledEvent::class, function ($e) use (&$handled) {
        $handled[] = $e->getEnvelope()->getMessage()->id;
    });
    $dispatcher->addListener(WorkerMessageFailedEvent::class, function ($e) use (&$failures) {
        $failures[] = [$e->getEnvelope()->getMessage()->id, $e->willRetry()];
    });
    $dispatcher->addListener(WorkerMessageRetriedEvent::class, function ($e) use (&$retried) {
        $retried[] = $e->getEnvelope()->getMessage()->id;
    });
    $deadline = microtime(true) + 20;
    $dispatcher->addListener(WorkerRunningEvent::class, function ($e) use (&$handled, &$failures, $deadline) {
        if (count($handled) >= 12 && count($failures) >= 3 || microtime(true) > $deadline) {
            $e->getWorker()->stop();
        }
    });

    for ($i = 0; $i < 10; $i++) $bus->dispatch(new Job("sq$i", 'square', $i));
    $bus->dispatch(new Job('flaky', 'flaky'));
    $bus->dispatch(new Job('broken', 'broken'));
    $delayedAt = microtime(true);
    $bus->dispatch(new Job('delayed', 'delayed'), [new DelayStamp(1500)]);
    expect('stream length', $raw->xLen('compat-messages'), 12);
    expect('delayed set', $raw->zCard('compat-messages__queue'), 1);

    $worker = new Worker(['async' => $async], $bus, $dispatcher);
    $worker->run(['sleep' => 20000]);
    if (microtime(true) > $deadline) throw new RuntimeException('timed out waiting for the messages');

    for ($i = 0; $i < 10; $i++) expect("sq$i", [$results["sq$i"], count($ran["sq$i"])], [$i * $i, 1]);
    expect('flaky result', $results['flaky'], 'recovered');
    [$first, $second] = $ran['flaky'];
    onTime('flaky retry', $second, $first + 1.0);
    expect('broken runs', count($ran['broken']), 2);
    [$first, $second] = $ran['broken'];
    onTime('broken retry', $second, $first + 1.0);
    expect('delayed result', $results['delayed'], 'on time');
    onTime('delayed message', $ran['delayed'][0], $delayedAt + 1.5);
    sort($handled);
    $expected = array_merge(array_map(fn ($i) => "sq$i", range(0, 9)), ['delayed', 'flaky']);
    sort($expected);
    expect('handled events', $handled, $expected);
    expect('failed events', $failures, [['flaky', true], ['broken', true], ['broken', false]]);
    expect('retried events', $retried, ['flaky', 'broken']);

    // The failure transport holds the broken message with its error details.
    $inFailure = iterator_to_array($failed->get());
    expect('failure transport', count($inFailure), 1);
    /** @var Envelope $envelope */
    $envelope = $inFailure[0];
    expect('failed message', $envelope->getMessage()->id, 'broken');
    expect('sent to failure transport from', $envelope->last(SentToFailureTransportStamp::class)->getOriginalReceiverName(), 'async');
    expect('error details', $envelope->last(ErrorDetailsStamp::class)->getExceptionMessage(), 'broken: always fails');
    // The retry's stamp, then the one the failure transport adds (a count of 0) for a later retry.
    expect('redeliveries', array_map(fn ($s) => $s->getRetryCount(), $envelope->all(RedeliveryStamp::class)), [1, 0]);
    $failed->ack($envelope);
    expect('failure transport drained', iterator_to_array($failed->get()), []);
    expect('main stream emptied', $raw->xLen('compat-messages'), 0);

    // A consumer that takes a message and dies: another consumer of the group claims it once
    // redeliver_timeout (1 s) has passed, checking pending messages every claim_interval.
    $options = ['group' => 'claims', 'delete_after_ack' => true, 'redeliver_timeout' => 1, 'claim_interval' => 100];
    $dead = new RedisTransport(Connection::fromDsn(dsn('compat-claims'), $options + ['consumer' => 'dead']), $serializer);
    $alive = new RedisTransport(Connection::fromDsn(dsn('compat-claims'), $options + ['consumer' => 'alive']), $serializer);
    $dead->send(new Envelope(new Job('orphan', 'square', 7)));
    $taken = iterator_to_array($dead->get());
    expect('taken by the first consumer', $taken[0]->getMessage()->id, 'orphan');
    $takenAt = microtime(true);
    $claimed = [];
    while (!$claimed && microtime(true) < $takenAt + 10) {
        $claimed = iterator_to_array($alive->get());
        if (!$claimed) usleep(50000);
    }
    expect('claimed by the second consumer', $claimed ? $claimed[0]->getMessage()->id : null, 'orphan');
    onTime('claim', microtime(true), $takenAt + 1.0);
    $alive->ack($claimed[0]);
    $pending = $raw->xPending('compat-claims', 'claims');
    expect('nothing pending', $pending[0], 0);
}

try {
    $v = trim((string) shell_exec("dpkg-query -W -f='\${Version}' php-symfony-messenger 2>/dev/null"));
    echo "compat-version: symfony/messenger $v\n";
    echo 'compat-version: phpredis ' . phpversion('redis') . "\n";
    main();
    echo "symfony-messenger: all checks passed\n";
} catch (Throwable $e) {
    fwrite(STDERR, 'symfony-messenger: FAILED: ' . get_class($e) . ': ' . $e->getMessage() . "\n" . $e->getTraceAsString() . "\n");
    exit(1);
}
